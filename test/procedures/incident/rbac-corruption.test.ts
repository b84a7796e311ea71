// data-corruption (the bundle) under deploy/rbac/incident.yaml alone, against
// kube-sim with RBAC and a real PostgreSQL: planned with the plan identity,
// applied with the incident identity, without a single 403.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { deployment } from '../../helpers/kube-objects.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import {
  startHttpEndpoint,
  startPostgres,
  type HttpEndpoint,
  type PgServer,
} from '../../services/index.js';

const ns = 'pqc-audit';
const DB = 'pqc_audit';
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'incident.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
let sim: KubeSim;
let pg: PgServer;
let app: HttpEndpoint;
let dest: string;
let identity: string;
let good: Record<string, string>;

beforeAll(async () => {
  [pg, app] = await Promise.all([startPostgres(), startHttpEndpoint()]);
  app.respond('/health/detailed', { status: 200, body: 'ok' });
  await seedDatabase(pg, DB, 100);
  sim = await startKubeSim({
    rbac: true,
    objects: [
      ...rbac,
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'a:1',
      }),
    ],
  });
  await sim.settle();
  dest = mkdtempSync(join(tmpdir(), 'pqc-ops-incident-rbac-'));
  identity = await age.generateX25519Identity();
  const b = await runProcedure(backup, {
    'database-url': pg.url(DB),
    include: 'database',
    destination: dest,
    'age-recipients': await age.identityToRecipient(identity),
  });
  if (b.failure) throw new Error(b.failure);
  good = await fingerprint(pg, DB);
  await pg.psql('DELETE FROM app.findings WHERE id % 2 = 0', DB);
}, 180_000);
afterAll(async () => {
  await Promise.all([sim?.close(), pg?.destroy(), app?.close()]);
  rmSync(dest, { recursive: true, force: true });
});

describe('data-corruption with deploy/rbac/incident.yaml', () => {
  it('plans with the plan identity and applies with the incident identity, no 403', async () => {
    const runner = mkdtempSync(join(dest, 'runner-'));
    const inputs = {
      procedure: 'data-corruption',
      destination: dest,
      'database-url': pg.url(DB),
      'age-identity': identity,
      'health-url': `${app.url}/health/detailed`,
      'crypto-check': 'none',
      timeout: '60s',
    };
    sim.clearJournal();
    const plan = await runBundle(
      'incident',
      {
        ...inputs,
        kubeconfig: sim.kubeconfigFor(
          `system:serviceaccount:${ns}:pqc-ops-incident-plan`,
          groups,
        ).path,
      },
      { RUNNER_TEMP: runner },
    );
    expect(plan.code, plan.stdout).toBe(0);
    const done = await runBundle(
      'incident',
      {
        ...inputs,
        kubeconfig: sim.kubeconfigFor(
          `system:serviceaccount:${ns}:pqc-ops-incident`,
          groups,
        ).path,
        mode: 'apply',
        plan: plan.outputs['plan-file'] ?? '',
        'plan-sha256': plan.outputs['plan-sha256'] ?? '',
      },
      { RUNNER_TEMP: runner },
    );
    expect(done.code, done.stdout).toBe(0);
    expect(await fingerprint(pg, DB)).toEqual(good);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(2);
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    // The secrets of the run (database password, age identity) appear nowhere.
    const written = (plan.allWritten() + done.allWritten()).replace(
      /^::add-mask::.*$/gm,
      '',
    );
    expect(written).not.toContain(identity);
    expect(written).not.toContain(pg.password);
  }, 240_000);
});
