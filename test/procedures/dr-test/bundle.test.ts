// dr-test as the runner runs it (the bundle), under deploy/rbac/dr-test.yaml
// alone with kube-sim enforcing it: the exec path (pg_restore in the
// database pod) without a single 403; an identity without the Role fails in
// one line with the 403; a cancel (SIGTERM) while pg_restore is blocked
// brings the application back, releases the Leases and exits at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../../src/report/step-result.js';
import {
  runBundle,
  startBundle,
  type BundleRun,
  waitForOutput,
} from '../../helpers/bundle.js';
import { manifests } from '../../workflows/fixtures.js';
import { fingerprint } from '../../helpers/procedure.js';
import { DB, drInputs, NS, startDrWorld, type DrWorld } from './world.js';

let w: DrWorld;
let kubeconfig: string;
const temps: string[] = [];

beforeAll(async () => {
  w = await startDrWorld({
    rbac: true,
    extra: manifests('deploy/rbac/dr-test.yaml'),
  });
  kubeconfig = w.sim.kubeconfigFor(
    `system:serviceaccount:${NS}:pqc-ops-dr-test`,
    ['system:serviceaccounts', `system:serviceaccounts:${NS}`],
  ).path;
}, 120_000);
afterAll(async () => {
  await w?.close();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

const denied = () =>
  w.sim.journal
    .filter((j) => j.status === 403)
    .map((j) => `${j.method} ${j.path}`);
const leases = () =>
  w.sim.list('coordination.k8s.io/v1', 'Lease', NS).map((l) => l.metadata.name);
const kept = (r: BundleRun) => (temps.push(r.runnerTemp), r);
const execInputs = (over: Record<string, string> = {}) =>
  drInputs(w, {
    kubeconfig,
    'database-url': '',
    'postgres-selector': 'app=postgres',
    ...over,
  });

describe('dr-test (the bundle) with deploy/rbac/dr-test.yaml', () => {
  it('runs the whole drill through exec with that Role alone', async () => {
    w.sim.clearJournal();
    const r = kept(await runBundle('dr-test', execInputs()));
    expect(r.code, r.stdout).toBe(0);
    expect(denied()).toEqual([]);
    expect(await fingerprint(w.pg, DB)).toEqual(w.archived);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
    expect(Number(r.outputs['rto-seconds'])).toBeGreaterThan(0);
    expect(Number(r.outputs['rpo-seconds'])).toBeGreaterThan(0);
    // pg_restore ran in the database pod, through the exec API.
    expect(
      w.sim.journal.some(
        (j) => j.status === 101 && /\/pods\/postgres-[^/]+\/exec$/.test(j.path),
      ),
    ).toBe(true);
    expect(r.summary).toMatch(/RTO/);
    expect(leases()).toEqual([]);
  }, 120_000);

  it('an identity without it fails in one line with the 403', async () => {
    const kc = w.sim.kubeconfigFor(`system:serviceaccount:${NS}:nobody`, [
      'system:serviceaccounts',
    ]);
    const r = kept(
      await runBundle('dr-test', execInputs({ kubeconfig: kc.path })),
    );
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error::dr-test: read deployment ${NS}/postgres: deployments.apps "postgres" is forbidden: User "system:serviceaccount:${NS}:nobody" cannot get resource "deployments" in API group "apps" in the namespace "${NS}" (HTTP 403 Forbidden)`,
    ]);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
  }, 60_000);

  it('a cancel (SIGTERM) while pg_restore waits brings the application back and releases the Leases', async () => {
    await w.reset();
    // Another session holds a lock pg_restore --clean must wait for.
    let locker: ChildProcess | undefined;
    try {
      locker = spawn(
        'psql',
        [
          '-X',
          '-q',
          '-d',
          w.pg.url(DB),
          '-c',
          'BEGIN; LOCK TABLE public.scans IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);',
        ],
        { env: { ...process.env, ...w.pg.env() }, stdio: 'ignore' },
      );
      const run = startBundle('dr-test', execInputs());
      temps.push(run.runnerTemp);
      await waitForOutput(run, '::group::restore', 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(w.replicas('pqc-audit')).toBe(0);
      expect(leases().sort()).toEqual(['pqc-ops-backup', 'pqc-ops-scale']);
      const signalled = Date.now();
      run.child.kill('SIGTERM');
      const done = await run.finished;
      expect(done.endedAt - signalled).toBeLessThan(8000);
      expect(done.code).not.toBe(0);
      expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
      expect(leases()).toEqual([]);
      const result = JSON.parse(done.outputs['result'] ?? '{}') as StepResult;
      expect(result.status).toBe('failed');
      expect(
        result.changes.filter((c) => c.what.startsWith('brought back')),
      ).toEqual([
        expect.objectContaining({
          where: `Deployment ${NS}/pqc-audit`,
          what: 'brought back: scaled 0 -> 2 replicas',
        }),
      ]);
      const errors = done.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/cancel/i);
    } finally {
      locker?.kill('SIGTERM');
    }
  }, 120_000);
});
