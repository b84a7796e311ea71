// A cancelled housekeeping apply (SIGTERM while gzip runs in a pod) closes
// the exec, releases its Lease, keeps the record, and ends promptly.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startBundle, waitForOutput } from '../../helpers/bundle.js';
import { container, namespace, pod } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      pod({
        name: 'pqc-audit-0',
        namespace: ns,
        labels: { app: 'pqc-audit' },
        containers: [container('pqc-audit', 'pqc-audit:1')],
      }),
    ],
  });
  // A gzip that takes its time: long enough to be cancelled in.
  sim.addExecHook({
    pod: 'pqc-audit-0',
    command: (argv) => argv[0] === 'gzip' && argv[1] === '--',
    run: () => new Promise((r) => setTimeout(() => r(0), 60_000)),
  });
  await sim.settle();
  const dir = join(sim.podRoot(ns, 'pqc-audit-0'), 'var/log/pqc-audit');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'old.log'), 'x\n');
  const t = new Date(Date.now() - 9 * 86_400_000);
  utimesSync(join(dir, 'old.log'), t, t);
});
afterAll(async () => sim?.close());

const lease = () =>
  sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-housekeeping');

describe('a cancelled housekeeping (the bundle, SIGTERM during gzip)', () => {
  it('releases the Lease, keeps the record, and exits at once', async () => {
    const run = startBundle('housekeeping', {
      kubeconfig: sim.kubeconfigPath,
      mode: 'auto',
      vacuum: 'false',
    });
    await waitForOutput(run, '::group::Apply in pod');
    await new Promise((r) => setTimeout(r, 300));
    expect(lease()).toBeDefined();
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const done = await run.finished;
    expect(done.endedAt - signalled).toBeLessThan(5000);
    expect(done.code).not.toBe(0);
    expect(lease()).toBeUndefined();
    const result = JSON.parse(done.outputs['result'] ?? '{}') as StepResult;
    expect(result.status).toBe('failed');
    expect(result.checks).toContainEqual(
      expect.objectContaining({
        name: 'plan',
        observed: expect.stringMatching(/^1 change/),
      }),
    );
    const errors = done.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cancel/i);
  });
});
