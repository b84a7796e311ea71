import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';

// The health action under the least-privilege Role we ship in deploy/rbac.
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'health.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = 'system:serviceaccount:pqc-audit:pqc-ops-health';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
    objects: rbac,
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

describe('health with deploy/rbac/health.yaml', () => {
  it('has every permission the checks and the crypto exec need', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      'system:serviceaccounts:pqc-audit',
    ]);
    sim.clearJournal();
    const r = await runBundle('health', {
      kubeconfig: kc.path,
      'crypto-check': 'command',
      'crypto-command': '["true"]',
    });
    expect(r.code, r.stdout).toBe(0);
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
  });

  it("an identity without them fails with the API server's 403 in one line", async () => {
    const kc = sim.kubeconfigFor('system:serviceaccount:pqc-audit:nobody', [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('health', {
      kubeconfig: kc.path,
      'crypto-check': 'none',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error::health: list pods app=pqc-audit in pqc-audit: pods is forbidden: User "system:serviceaccount:pqc-audit:nobody" cannot list resource "pods" in API group "" in the namespace "pqc-audit" (HTTP 403 Forbidden)',
    );
  });
});
