// rollout (the bundle) under deploy/rbac/rollout.yaml alone: a rollout that
// fails its progress deadline and is undone, and a good one followed by the
// health check, without a single 403; an identity without it fails in one
// line with the 403.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { deployment } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'rollout.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = `system:serviceaccount:${ns}:pqc-ops-rollout`;
const NEW = `ghcr.io/pqc-ops/pqc-audit@sha256:${'7'.repeat(64)}`;
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    objects: [
      ...rbac,
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
        progressDeadlineSeconds: 2,
      }),
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

const denied = () =>
  sim.journal
    .filter((j) => j.status === 403)
    .map((j) => `${j.method} ${j.path}`);
const image = () =>
  sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.template.spec
    .containers[0].image as string;

describe('rollout with deploy/rbac/rollout.yaml', () => {
  it('undoes a stuck rollout and completes a good one (with the health check) with that Role alone', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      `system:serviceaccounts:${ns}`,
    ]);
    sim.clearJournal();
    sim.setDeploymentBehavior(ns, 'pqc-audit', 'stuck');
    const stuck = await runBundle('rollout', {
      kubeconfig: kc.path,
      image: `ghcr.io/pqc-ops/pqc-audit@sha256:${'6'.repeat(64)}`,
      mode: 'auto',
      'crypto-check': 'none',
    });
    expect(stuck.code).toBe(1);
    expect(stuck.outputs['undone']).toBe('true');
    expect(image()).toBe('ghcr.io/pqc-ops/pqc-audit:1.4.2');
    sim.setDeploymentBehavior(ns, 'pqc-audit', 'ready');
    const good = await runBundle('rollout', {
      kubeconfig: kc.path,
      image: NEW,
      mode: 'auto',
      // A real exec in a pod: the self-test's pods/exec is exercised too.
      'crypto-check': 'command',
      'crypto-command': '["true"]',
    });
    expect(good.code, good.stdout).toBe(0);
    expect(image()).toBe(NEW);
    const checks = (
      JSON.parse(good.outputs['result'] ?? '{}') as {
        checks: { name: string; status: string }[];
      }
    ).checks;
    expect(checks).toContainEqual(
      expect.objectContaining({ name: 'health: crypto', status: 'ok' }),
    );
    expect(denied()).toEqual([]);
  });

  it('an identity without it fails in one line with the 403', async () => {
    const kc = sim.kubeconfigFor(`system:serviceaccount:${ns}:nobody`, [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('rollout', { kubeconfig: kc.path, image: NEW });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error::rollout: read deployment ${ns}/pqc-audit: deployments.apps "pqc-audit" is forbidden: User "system:serviceaccount:${ns}:nobody" cannot get resource "deployments" in API group "apps" in the namespace "${ns}" (HTTP 403 Forbidden)`,
    ]);
  });
});
