// A cancelled cert-rotate apply (SIGTERM, as GitHub sends, while it waits
// for a renewal that cannot finish) releases its Lease, records what it had
// already changed, and ends promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runBundle, startBundle, waitForOutput } from '../../helpers/bundle.js';
import { certificate, namespace } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      certificate({
        name: 'stuck',
        namespace: ns,
        secretName: 'stuck-tls',
        issuer: 'ca',
        commonName: 'stuck',
        failIssuance: true,
      }),
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

const lease = () =>
  sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-cert-rotate');

describe('a cancelled cert-rotate apply (the bundle, SIGTERM during the wait)', () => {
  it('releases the Lease, keeps the renewal it made in the record, and exits at once', async () => {
    const plan = await runBundle('cert-rotate', {
      kubeconfig: sim.kubeconfigPath,
    });
    expect(plan.code, plan.stdout).toBe(0);
    const run = startBundle('cert-rotate', {
      kubeconfig: sim.kubeconfigPath,
      mode: 'apply',
      plan: plan.outputs['plan-file'],
      'wait-timeout': '5m',
    });
    await waitForOutput(run, 'waiting for 1: Certificate');
    expect(lease()).toBeDefined();
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const done = await run.finished;
    expect(done.endedAt - signalled).toBeLessThan(5000);
    expect(done.code).not.toBe(0);
    expect(lease()).toBeUndefined();
    const result = JSON.parse(done.outputs['result']) as StepResult;
    expect(result.status).toBe('failed');
    expect(result.changes.map((c) => c.where)).toEqual([
      `Certificate ${ns}/stuck`,
    ]);
    const errors = done.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cancel/i);
  });
});
