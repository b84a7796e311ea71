import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { deployment, lease, namespace } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

const objects: object[] = [
  namespace(ns),
  deployment({
    name: 'pqc-audit',
    namespace: ns,
    replicas: 3,
    image: 'pqc-audit:1',
  }),
];

beforeEach(async () => {
  sim = await startKubeSim({ objects });
  await sim.settle();
});
afterEach(async () => sim?.close());

/** Writes to anything but the Lease that guards an apply. */
const mutations = () => sim.writes().filter((w) => !w.path.includes('/leases'));

describe('scale: plan, approve, apply (bundle)', () => {
  it('plan changes nothing and emits the plan, its sha256 and a file', async () => {
    sim.clearJournal();
    const r = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
    });
    expect(r.code, r.stdout).toBe(0);
    expect(mutations()).toEqual([]);
    const plan = JSON.parse(r.outputs['plan']);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        object: 'Deployment pqc-audit/pqc-audit',
        action: 'scale 3 -> 5 replicas',
        undo: 'scale back to 3 replicas',
      }),
    ]);
    expect(plan.sha256).toBe(r.outputs['plan-sha256']);
    expect(
      JSON.parse(readFileSync(r.outputs['plan-file'], 'utf8')).sha256,
    ).toBe(plan.sha256);
    expect(r.outputs['applied']).toBe('false');
    expect(r.summary).toContain(`#### Plan \`${plan.sha256.slice(0, 12)}\``);
  });

  it('apply executes the approved plan and verifies the rollout', async () => {
    const p = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
    });
    sim.clearJournal();
    const a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expect(a.code, a.stdout).toBe(0);
    expect(a.outputs['applied']).toBe('true');
    expect(sim.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST /apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
      `PATCH /apis/apps/v1/namespaces/${ns}/deployments/pqc-audit/scale`,
      `DELETE /apis/coordination.k8s.io/v1/namespaces/${ns}/leases/pqc-ops-scale`,
    ]);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(5);
    const result = JSON.parse(a.outputs['result']);
    expect(result.changes[0]).toMatchObject({
      what: 'scale 3 -> 5 replicas',
      undo: 'scale back to 3 replicas',
    });
    expect(
      result.checks.find((c: { name: string }) => c.name === 'rollout')
        .observed,
    ).toBe('deployment "pqc-audit" successfully rolled out');
  });

  it('refuses an edited plan, a plan other than the approved one, and a drifted Deployment, changing nothing', async () => {
    const p = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
    });
    const edited = JSON.parse(p.outputs['plan']);
    edited.changes[0].params.to = 50;
    sim.clearJournal();
    let a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: JSON.stringify(edited),
    });
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(
      /::error::scale: the plan was modified after it was made/,
    );
    a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: p.outputs['plan'],
      'plan-sha256': 'f'.repeat(64),
    });
    expect(a.stdout).toMatch(
      /::error::scale: the plan is not the approved one/,
    );
    expect(mutations()).toEqual([]);

    const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
    d.spec.template.spec.containers[0].image = 'pqc-audit:2';
    sim.apply(d);
    sim.clearJournal();
    a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: p.outputs['plan'],
    });
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(
      /::error::scale: the live state drifted since the plan was approved: Deployment pqc-audit\/pqc-audit changed \(generation 1 -> 2\)/,
    );
    expect(mutations()).toEqual([]);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(3);
  });

  it('a Lease held by another run refuses the apply before anything changes', async () => {
    const p = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
    });
    sim.apply(
      lease({
        name: 'pqc-ops-scale',
        namespace: ns,
        holder: 'pqc-ops-other-run',
        durationSeconds: 600,
        renewTime: new Date(),
      }),
    );
    sim.clearJournal();
    const a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: p.outputs['plan'],
    });
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(
      /::error::scale: lease pqc-audit\/pqc-ops-scale is held by pqc-ops-other-run/,
    );
    expect(mutations()).toEqual([]);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(3);
  });

  it('applies under the least-privilege Role in deploy/rbac/scale.yaml', async () => {
    await sim.close();
    const rbac = parseAllDocuments(
      readFileSync(join(root, 'deploy', 'rbac', 'scale.yaml'), 'utf8'),
    ).map((d) => d.toJSON() as object);
    sim = await startKubeSim({ rbac: true, objects: [...objects, ...rbac] });
    await sim.settle();
    const kc = sim.kubeconfigFor(
      'system:serviceaccount:pqc-audit:pqc-ops-scale',
      ['system:serviceaccounts', 'system:serviceaccounts:pqc-audit'],
    );
    const a = await runBundle('scale', {
      kubeconfig: kc.path,
      replicas: '4',
      mode: 'auto',
    });
    expect(a.code, a.stdout).toBe(0);
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(4);
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-scale'),
    ).toBeUndefined();
  });

  it('auto plans and applies in one step', async () => {
    const a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '1',
      mode: 'auto',
    });
    expect(a.code, a.stdout).toBe(0);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(1);
  });
});
