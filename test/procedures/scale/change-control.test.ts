// Change control of the scale action (the bundle, as the runner runs it)
// against a real kube-sim: every refusal leaves the Deployment as it was,
// writes nothing, and fails in one line that says why.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializePlan, type Plan } from '../../../src/plan/plan.js';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runBundle, type BundleRun } from '../../helpers/bundle.js';
import {
  deployment as deploymentObject,
  namespace,
} from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

beforeEach(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deploymentObject({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 3,
        image: 'pqc-audit:1',
      }),
    ],
  });
  await sim.settle();
});
afterEach(async () => sim?.close());

const deployment = () => sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');

async function planFor(replicas: string): Promise<BundleRun> {
  const p = await runBundle('scale', {
    kubeconfig: sim.kubeconfigPath,
    replicas,
  });
  expect(p.code, p.stdout).toBe(0);
  return p;
}

function apply(inputs: Record<string, string>): Promise<BundleRun> {
  return runBundle('scale', {
    kubeconfig: sim.kubeconfigPath,
    mode: 'apply',
    ...inputs,
  });
}

/** Refused in one line, a failed check saying why, and nothing written. */
function expectRefused(a: BundleRun, why: RegExp): void {
  expect(a.code).toBe(1);
  const errors = a.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^::error::scale: /);
  expect(errors[0]).toMatch(why);
  const result = JSON.parse(a.outputs['result']) as StepResult;
  expect(result.status).toBe('failed');
  expect(result.checks).toContainEqual(
    expect.objectContaining({
      name: 'refused',
      status: 'failed',
      observed: expect.stringMatching(why),
    }),
  );
  expect(result.changes).toEqual([]);
  expect(a.outputs['applied']).not.toBe('true');
  expect(sim.writes().map((w) => `${w.method} ${w.path}`)).toEqual([]);
  expect(deployment().spec.replicas).toBe(3);
  expect(deployment().metadata.generation).toBe(1);
  expect(
    sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-scale'),
  ).toBeUndefined();
}

describe('scale change control (bundle)', () => {
  it('an edited plan with its sha256 field deleted is refused instead of scaling to 0 replicas', async () => {
    const p = await planFor('5');
    const doc = JSON.parse(p.outputs['plan']) as Plan & { sha256?: string };
    doc.changes[0].params = { from: 3, to: 0 };
    delete doc.sha256;
    sim.clearJournal();
    const a = await apply({ replicas: '5', plan: JSON.stringify(doc) });
    expectRefused(a, /the plan has no sha256 field/);
  });

  it('a plan with an empty basis (sha256 recomputed) is refused: drift cannot be checked', async () => {
    const p = await planFor('5');
    const doc = JSON.parse(p.outputs['plan']) as Plan & { sha256?: string };
    delete doc.sha256;
    doc.basis = [];
    const edited = serializePlan(doc);
    sim.clearJournal();
    const a = await apply({
      replicas: '5',
      plan: edited,
      'plan-sha256': JSON.parse(edited).sha256,
    });
    expectRefused(
      a,
      /the plan changes Deployment pqc-audit\/pqc-audit without recording its live state \(basis\), so drift cannot be checked/,
    );
  });

  it('a plan made for 5 replicas is refused when applied with replicas 1, naming replicas', async () => {
    const p = await planFor('5');
    sim.clearJournal();
    const a = await apply({
      replicas: '1',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expectRefused(
      a,
      /the plan does not fit this run \(replicas: the plan has 5, this run 1\)/,
    );
  });

  it('an applied plan is recorded as what the plan did (summary and changes)', async () => {
    const p = await planFor('5');
    sim.clearJournal();
    const a = await apply({
      replicas: '5',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expect(a.code, a.stdout).toBe(0);
    expect(a.outputs['applied']).toBe('true');
    const result = JSON.parse(a.outputs['result']) as StepResult;
    expect(result.status).toBe('ok');
    expect(result.summary).toBe(
      'Scaled Deployment pqc-audit/pqc-audit to 5 replicas.',
    );
    expect(result.changes).toEqual([
      expect.objectContaining({
        what: 'scale 3 -> 5 replicas',
        where: 'Deployment pqc-audit/pqc-audit',
        undo: 'scale back to 3 replicas',
      }),
    ]);
    expect(deployment().spec.replicas).toBe(5);
    expect(
      sim
        .writes()
        .filter((w) => !w.path.includes('/leases'))
        .map((w) => `${w.method} ${w.path}`),
    ).toEqual([
      `PATCH /apis/apps/v1/namespaces/${ns}/deployments/pqc-audit/scale`,
    ]);
  });
});
