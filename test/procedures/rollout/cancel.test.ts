// A cancelled rollout apply (SIGTERM, as GitHub sends, while it waits for a
// rollout that cannot finish) releases its Lease, keeps the image change it
// made in the record with its undo, and ends promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startBundle, waitForOutput } from '../../helpers/bundle.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
      }),
    ],
  });
  await sim.settle();
  sim.setDeploymentBehavior(ns, 'pqc-audit', 'stuck');
});
afterAll(async () => sim?.close());

const lease = () =>
  sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-rollout');

describe('a cancelled rollout (the bundle, SIGTERM during the rollout wait)', () => {
  it('releases the Lease, keeps the image change in the record, and exits at once', async () => {
    const run = startBundle('rollout', {
      kubeconfig: sim.kubeconfigPath,
      image: `ghcr.io/pqc-ops/pqc-audit@sha256:${'c'.repeat(64)}`,
      mode: 'auto',
    });
    await waitForOutput(
      run,
      /Waiting for deployment "pqc-audit" rollout to finish/,
    );
    expect(lease()).toBeDefined();
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const done = await run.finished;
    expect(done.endedAt - signalled).toBeLessThan(5000);
    expect(done.code).not.toBe(0);
    expect(lease()).toBeUndefined();
    const result = JSON.parse(done.outputs['result'] ?? '{}') as StepResult;
    expect(result.status).toBe('failed');
    expect(result.changes).toEqual([
      expect.objectContaining({
        where: `Deployment ${ns}/pqc-audit`,
        undo: expect.stringMatching(
          /^kubectl rollout undo deployment\/pqc-audit --to-revision=1 /,
        ),
      }),
    ]);
    const errors = done.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cancel/i);
  });
});
