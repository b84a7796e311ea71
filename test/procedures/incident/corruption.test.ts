// incident data-corruption against kube-sim and a real PostgreSQL: two
// encrypted archives by the real backup procedure, the database corrupted
// since; the response stops the application, takes an emergency backup (a
// third archive, its own prefix), restores the last good archive at or
// before not-after, validates at 1 replica and scales back; and when the
// validation fails it stays at 0 and says so.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/plan.js';
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
  type HttpEndpoint,
  type PgServer,
} from '../../services/index.js';

const NS = 'pqc-audit';
const DB = 'pqc_audit';
let pg: PgServer;
let sim: KubeSim;
let app: HttpEndpoint;
let dest: string;
let identity: string;
let first: { archive: string; data: Record<string, string>; at: Date };
let second: { archive: string; data: Record<string, string> };

async function takeBackup(): Promise<string> {
  const b = await runProcedure(backup, {
    'database-url': pg.url(DB),
    include: 'database',
    destination: dest,
    'age-recipients': await age.identityToRecipient(identity),
  });
  if (b.failure) throw new Error(b.failure);
  return b.outputs['archive'] ?? '';
}

beforeAll(async () => {
  [pg, app] = await Promise.all([startPostgres(), startHttpEndpoint()]);
  await seedDatabase(pg, DB);
  sim = await startKubeSim({
    objects: [
      namespace(NS),
      deployment({
        name: 'pqc-audit',
        namespace: NS,
        replicas: 3,
        image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
      }),
    ],
  });
  await sim.settle();
  identity = await age.generateX25519Identity();
  dest = mkdtempSync(join(tmpdir(), 'pqc-ops-corruption-'));
  first = {
    archive: await takeBackup(),
    data: await fingerprint(pg, DB),
    at: new Date(),
  };
  await sleep(1100);
  await pg.psql("INSERT INTO public.scans (name) VALUES ('second-good')", DB);
  second = { archive: await takeBackup(), data: await fingerprint(pg, DB) };
}, 180_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), sim?.close(), app?.close()]);
  rmSync(dest, { recursive: true, force: true });
});

const corrupt = () =>
  pg.psql(
    'DELETE FROM app.findings WHERE id % 2 = 0; UPDATE public.scans SET payload = \'{"bad": true}\'',
    DB,
  );
const replicas = () =>
  sim.get('apps/v1', 'Deployment', NS, 'pqc-audit').spec.replicas as number;
const inputs = (more: Record<string, string> = {}) => ({
  kubeconfig: sim.kubeconfigPath,
  procedure: 'data-corruption',
  destination: dest,
  'database-url': pg.url(DB),
  'age-identity': identity,
  'health-url': `${app.url}/health/detailed`,
  'crypto-check': 'none',
  retries: '0',
  timeout: '60s',
  ...more,
});

describe('incident data-corruption (kube-sim, PostgreSQL)', () => {
  it('plans, then restores the last good archive at or before not-after, validates at 1 replica, scales back', async () => {
    await corrupt();
    app.respond('/health/detailed', { status: 200, body: '{"db":"ok"}' });
    const notAfter = first.at.toISOString();
    const p = await runProcedure(incident, inputs({ 'not-after': notAfter }));
    expect(p.failure, p.logs.join('\n')).toBeUndefined();
    const plan = JSON.parse(p.outputs['plan'] ?? '') as Plan;
    expect(plan.changes.map((c) => c.params?.['step'])).toEqual([
      'stop',
      'backup',
      'restore',
      'resume',
    ]);
    expect(plan.changes[2]?.params?.['archive']).toBe(first.archive);
    expect(replicas()).toBe(3);

    const r = await runProcedure(
      incident,
      inputs({
        'not-after': notAfter,
        mode: 'apply',
        plan: p.outputs['plan-file'] ?? '',
        'plan-sha256': p.outputs['plan-sha256'] ?? '',
      }),
    );
    expect(r.failure, r.logs.join('\n')).toBeUndefined();
    expect(await fingerprint(pg, DB)).toEqual(first.data);
    expect(replicas()).toBe(3);
    expect(r.outputs['restored-archive']).toBe(first.archive);
    const emergency = r.outputs['emergency-archive'] ?? '';
    expect(emergency).toMatch(/pqc-audit-emergency_\d{8}_\d{6}\.tar$/);
    expect(readdirSync(dest)).toContain(emergency.split('/').pop());
    const steps = r.result.timeline?.map((e) => e.what) ?? [];
    expect(steps).toEqual(
      expect.arrayContaining([
        'scaled Deployment pqc-audit/pqc-audit to 0 replicas: stop further corruption',
        expect.stringMatching(/^emergency backup written: /),
        `restored ${first.archive}`,
        'scaled Deployment pqc-audit/pqc-audit to 1 replicas: validate the restored data',
        'scaled Deployment pqc-audit/pqc-audit to 3 replicas: resume normal operations',
      ]),
    );
    expect(r.result.checks).toContainEqual(
      expect.objectContaining({ name: 'row counts', status: 'ok' }),
    );
  }, 180_000);

  it('stays at 0 when the validation fails, and says so', async () => {
    await corrupt();
    app.respond('/health/detailed', { status: 503, body: 'db broken' });
    const r = await runProcedure(incident, inputs({ mode: 'auto' }));
    expect(r.outputs['restored-archive']).toBe(second.archive);
    expect(await fingerprint(pg, DB)).toEqual(second.data);
    expect(replicas()).toBe(0);
    expect(r.failure).toMatch(
      /^incident: validation: unhealthy at 1 replica after restoring .*: the application stays at 0 replicas$/,
    );
    expect(r.result.checks).toContainEqual(
      expect.objectContaining({
        name: 'validation',
        status: 'failed',
        observed: expect.stringMatching(/stays at 0 replicas$/),
      }),
    );
  }, 180_000);
});
