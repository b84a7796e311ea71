// A cancelled outage response (SIGTERM, as GitHub sends, while it waits for a
// restart that cannot roll out) releases its Lease, keeps the restart and the
// timeline in the record, tells the webhook, and ends promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startBundle, waitForOutput } from '../../helpers/bundle.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../services/index.js';

const ns = 'pqc-audit';
let sim: KubeSim;
let hook: WebhookReceiver;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'a:1',
      }),
    ],
  });
  await sim.settle();
  sim.setDeploymentBehavior(ns, 'pqc-audit', 'stuck');
});
afterAll(async () => Promise.all([sim?.close(), hook?.close()]));

const lease = () =>
  sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-incident');

describe('a cancelled outage response (the bundle, SIGTERM during the rollout wait)', () => {
  it('releases the Lease, keeps the restart and the timeline, notifies, exits at once', async () => {
    const run = startBundle('incident', {
      kubeconfig: sim.kubeconfigPath,
      procedure: 'outage',
      mode: 'auto',
      'alert-webhook': hook.url,
    });
    await waitForOutput(run, /Waiting for deployment "pqc-audit"/);
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
      expect.objectContaining({ where: `Deployment ${ns}/pqc-audit` }),
    ]);
    expect(result.timeline?.map((e) => e.what)).toContainEqual(
      expect.stringMatching(/^outage response stopped: /),
    );
    expect(hook.received.at(-1)?.body).toMatchObject({ status: 'failed' });
  }, 60_000);
});
