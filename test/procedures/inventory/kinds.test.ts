// inventory in-process against kube-sim, one behaviour at a time: a pod
// without pip, a package below the
// policy's minimum, cert-manager absent, the horizon gate, a release line the
// policy does not date, and the failure metric of a run refused for bad input.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventory } from '../../../src/procedures/inventory/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startPushgateway, type Pushgateway } from '../../services/index.js';
import {
  clusterObjects,
  dayFromNow,
  fakePip,
  writePolicy,
} from './fixtures.js';

let sim: KubeSim;
let bare: KubeSim;
let gw: Pushgateway;
const dirs: string[] = [];

beforeAll(async () => {
  [sim, bare, gw] = await Promise.all([
    startKubeSim({ objects: clusterObjects(undefined) }),
    // No cert-manager Deployment.
    startKubeSim({ objects: clusterObjects(undefined).slice(0, 4) }),
    startPushgateway(),
  ]);
  fakePip(sim);
  // An image without pip. The pods here share the host's /usr, which has
  // one, so the container runtime's answer is played: the exec fails to
  // start the program.
  bare.addExecHook({
    command: 'pip',
    run: () => {
      throw new Error('exec: "pip": executable file not found in $PATH');
    },
  });
  sim.setVersion({ gitVersion: 'v1.35.1' });
  bare.setVersion({ gitVersion: 'v1.35.1' });
  await Promise.all([sim.settle(), bare.settle()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([sim?.close(), bare?.close(), gw?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function policy(text: string): string {
  const p = writePolicy(text);
  dirs.push(p.dir);
  return p.path;
}

const check = (r: Awaited<ReturnType<typeof runProcedure>>, name: string) =>
  r.result.checks.find((c) => c.name === name);

describe('inventory, kind by kind', () => {
  it('notes a pod without pip and a missing cert-manager, and passes', async () => {
    const r = await runProcedure(inventory, {
      kubeconfig: bare.kubeconfigPath,
      policy: policy(
        `kubernetes:\n  end-of-life:\n    '1.35': ${dayFromNow(400)}\n`,
      ),
    });
    expect(r.failure).toBeUndefined();
    expect(check(r, 'python packages')).toMatchObject({
      status: 'skipped',
      observed: expect.stringMatching(
        /^pip is not in pod pqc-audit\/pqc-audit-[a-z0-9-]+ \(container pqc-audit\)$/,
      ) as string,
    });
    expect(check(r, 'cert-manager')).toMatchObject({
      status: 'warning',
      detail:
        'deployment cert-manager/cert-manager not found (input cert-manager)',
    });
    expect(check(r, 'kubernetes')?.status).toBe('ok');
    expect(r.result.status).toBe('warning');
  });

  it('flags a package below the minimum; fail-on never keeps it a warning', async () => {
    const r = await runProcedure(inventory, {
      kubeconfig: sim.kubeconfigPath,
      'fail-on': 'never',
      policy: policy(
        `python-packages:\n  Cryptography:\n    minimum: '42.0.0'\n`,
      ),
    });
    expect(r.failure).toBeUndefined();
    expect(check(r, 'python packages')).toMatchObject({
      status: 'warning',
      detail: 'Python package cryptography 41.0.7: below the minimum 42.0.0',
    });
    expect(JSON.parse(r.outputs['findings'] ?? '[]')).toMatchObject([
      { kind: 'below-minimum', component: 'cryptography', minimum: '42.0.0' },
    ]);
    expect(r.result.followUps).toContain(
      `Inventory: Python package cryptography 41.0.7 (${check(r, 'python packages')?.observed.replace(/^2 outdated package\(s\) in /, '') ?? ''}) is below the policy's minimum 42.0.0 (${dirs.at(-1) ?? ''}/policy.yaml): upgrade it.`,
    );
  });

  it('fails within the horizon with fail-on horizon, and asks for an undated release line', async () => {
    const text = `kubernetes:\n  end-of-life:\n    '1.35': ${dayFromNow(20)}\ncert-manager:\n  end-of-life:\n    '1.15': ${dayFromNow(100)}\n`;
    const soon = await runProcedure(inventory, {
      kubeconfig: sim.kubeconfigPath,
      'fail-on': 'horizon',
      horizon: '30d',
      policy: policy(text),
    });
    expect(soon.failure).toBe('inventory: Kubernetes v1.35.1 end-of-life-soon');
    expect(check(soon, 'kubernetes')?.status).toBe('failed');
    // cert-manager runs 1.16, which the policy does not date.
    expect(check(soon, 'cert-manager')).toMatchObject({
      status: 'warning',
      detail:
        'cert-manager v1.16.2: release 1.16 has no end-of-life date in the policy',
    });
    expect(soon.result.followUps).toContain(
      `Inventory: cert-manager v1.16.2 (deployment cert-manager/cert-manager): release 1.16 has no end-of-life date in the policy; add it to the policy (${dirs.at(-1) ?? ''}/policy.yaml).`,
    );
    const later = await runProcedure(inventory, {
      kubeconfig: sim.kubeconfigPath,
      horizon: '10d',
      policy: policy(text),
    });
    expect(later.failure).toBeUndefined();
    expect(check(later, 'kubernetes')?.status).toBe('ok');
  });

  it('pushes the failure metric when the input is refused', async () => {
    const r = await runProcedure(inventory, {
      kubeconfig: sim.kubeconfigPath,
      'pushgateway-url': gw.url,
      policy: '{kubernetes: {minimum: one}}',
    });
    expect(r.failureKind).toBe('configuration');
    expect(await gw.sample('pqc_inventory_success')).toBe(0);
  });
});
