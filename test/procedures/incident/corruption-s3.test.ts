// data-corruption with its archives in a bucket (s3rver, real PostgreSQL):
// the last good archive is read from s3://, the emergency backup goes there
// too, as a multipart upload in the backup's format.
import * as age from 'age-encryption';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { incident } from '../../../src/procedures/incident/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import {
  startHttpEndpoint,
  startPostgres,
  startS3,
  type HttpEndpoint,
  type PgServer,
  type S3Server,
} from '../../services/index.js';

const NS = 'pqc-audit';
const DB = 'pqc_audit';
const DEST = 's3://backups/pqc/';
let pg: PgServer;
let s3: S3Server;
let sim: KubeSim;
let app: HttpEndpoint;

beforeAll(async () => {
  [pg, s3, app] = await Promise.all([
    startPostgres(),
    startS3(['backups']),
    startHttpEndpoint(),
  ]);
  app.respond('/health/detailed', { status: 200, body: 'ok' });
  await seedDatabase(pg, DB, 100);
  sim = await startKubeSim({
    objects: [
      namespace(NS),
      deployment({
        name: 'pqc-audit',
        namespace: NS,
        replicas: 2,
        image: 'a:1',
      }),
    ],
  });
  await sim.settle();
}, 180_000);
beforeEach(() => {
  // The SDK's default credential chain reads the environment (restored after each test).
  Object.assign(process.env, s3.env());
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), s3?.stop(), sim?.close(), app?.close()]);
});

describe('incident data-corruption with a bucket', () => {
  it('restores the archive from s3:// and writes the emergency backup there', async () => {
    const identity = await age.generateX25519Identity();
    const recipient = await age.identityToRecipient(identity);
    const b = await runProcedure(backup, {
      'database-url': pg.url(DB),
      include: 'database',
      destination: DEST,
      'age-recipients': recipient,
      's3-endpoint': s3.endpoint,
      's3-force-path-style': 'true',
    });
    expect(b.failure, b.logs.join('\n')).toBeUndefined();
    const good = await fingerprint(pg, DB);
    await pg.psql('DELETE FROM app.findings WHERE id % 2 = 1', DB);
    const r = await runProcedure(incident, {
      kubeconfig: sim.kubeconfigPath,
      procedure: 'data-corruption',
      destination: DEST,
      's3-endpoint': s3.endpoint,
      's3-force-path-style': 'true',
      'database-url': pg.url(DB),
      'age-identity': identity,
      'age-recipients': recipient,
      'health-url': `${app.url}/health/detailed`,
      'crypto-check': 'none',
      timeout: '60s',
      mode: 'auto',
    });
    expect(r.failure, r.logs.join('\n')).toBeUndefined();
    expect(await fingerprint(pg, DB)).toEqual(good);
    expect(r.outputs['restored-archive']).toBe(b.outputs['archive']);
    expect(r.outputs['emergency-archive']).toMatch(
      /^s3:\/\/backups\/pqc\/pqc-audit-emergency_\d{8}_\d{6}\.tar\.age$/,
    );
    const listed = await s3.aws(['s3', 'ls', 's3://backups/pqc/']);
    expect(listed.stdout).toMatch(/pqc-audit-emergency_\d{8}_\d{6}\.tar\.age/);
    expect(
      sim.get('apps/v1', 'Deployment', NS, 'pqc-audit').spec.replicas,
    ).toBe(2);
  }, 240_000);
});
