// The world of the DR tests: a real PostgreSQL with the seeded database, a
// kube-sim with the database Deployment (its pods reach the real server, so
// the exec path runs the real pg_restore) and the application Deployment, a
// scripted /health, a Pushgateway, and an encrypted archive written by the
// real backup procedure, the database changed since.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';
import { postgresObjects } from '../../helpers/sim-fixtures.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import {
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
  type HttpEndpoint,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';

export const NS = 'pqc-audit';
export const DB = 'pqc_audit';

export interface DrWorld {
  pg: PgServer;
  sim: KubeSim;
  app: HttpEndpoint;
  gw: Pushgateway;
  /** The archive directory. */
  dest: string;
  identity: string;
  archive: string;
  /** The database as the archive holds it. */
  archived: Record<string, string>;
  /** When the backup started (the archive's data time is at or after it). */
  backupStartedAt: number;
  replicas(name: string): number;
  /** The Deployments and the archive as they were, the database changed since. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Objects of the sim: extra ones (RBAC manifests) come after. */
function objects(pg: PgServer, extra: object[]): object[] {
  const db = postgresObjects(pg, NS);
  return [
    namespace(NS),
    db.secret,
    deployment({
      name: 'postgres',
      namespace: NS,
      replicas: 1,
      containers: [db.container],
    }),
    deployment({
      name: 'pqc-audit',
      namespace: NS,
      replicas: 2,
      image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
    }),
    ...extra,
  ];
}

/** Starts the world; `rbac` turns on kube-sim's RBAC with `extra` manifests. */
export async function startDrWorld(
  o: { rbac?: boolean; extra?: object[] } = {},
): Promise<DrWorld> {
  const [pg, app, gw] = await Promise.all([
    startPostgres(),
    startHttpEndpoint(),
    startPushgateway(),
  ]);
  await seedDatabase(pg, DB);
  const sim = await startKubeSim({
    rbac: o.rbac,
    objects: objects(pg, o.extra ?? []),
  });
  await sim.settle();
  app.respond('/health', { status: 200, body: 'ok' });
  const identity = await age.generateHybridIdentity();
  const dest = mkdtempSync(join(tmpdir(), 'dr-test-archives-'));
  const backupStartedAt = Date.now();
  const b = await runProcedure(backup, {
    'database-url': pg.url(DB),
    include: 'database',
    destination: dest,
    'age-recipients': await age.identityToRecipient(identity),
  });
  if (b.failure) throw new Error(b.failure);
  const archived = await fingerprint(pg, DB);
  const w: DrWorld = {
    pg,
    sim,
    app,
    gw,
    dest,
    identity,
    archive: b.outputs['archive'] ?? '',
    archived,
    backupStartedAt,
    replicas: (name) =>
      sim.get('apps/v1', 'Deployment', NS, name).spec.replicas as number,
    async reset() {
      await pg.psql(
        `INSERT INTO public.scans (name) SELECT 'after-backup-${Date.now()}-' || i FROM generate_series(1, 5) i; DELETE FROM app.findings WHERE id % 3 = 0;`,
        DB,
      );
    },
    async close() {
      await Promise.all([pg.destroy(), sim.close(), app.close(), gw.stop()]);
      rmSync(dest, { recursive: true, force: true });
    },
  };
  await w.reset();
  return w;
}

/** The dr-test inputs for this world (database by URL unless overridden). */
export function drInputs(
  w: DrWorld,
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    kubeconfig: w.sim.kubeconfigPath,
    destination: w.dest,
    'age-identity': w.identity,
    'database-url': w.pg.url(DB),
    'health-url': `${w.app.url}/health`,
    'pushgateway-url': w.gw.url,
    timeout: '60s',
    mode: 'auto',
    ...over,
  };
}
