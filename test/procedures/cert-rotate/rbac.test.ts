// cert-rotate under deploy/rbac/cert-rotate.yaml alone: plan and apply
// work; the only refusal is the list of Secrets the Role does not grant,
// after which the named Secrets are read one by one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { certificate } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'cert-rotate.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = `system:serviceaccount:${ns}:pqc-ops-cert-rotate`;
let sim: KubeSim;

function due(name: string, secretName: string, days: number) {
  const notAfter = new Date(Date.now() + days * 86_400_000)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return certificate({
    name,
    namespace: ns,
    secretName,
    issuer: 'pqc-ca',
    dnsNames: [`${name}.pqc.example`],
    status: {
      notAfter,
      notBefore: '2026-01-01T00:00:00Z',
      revision: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
    },
  });
}

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    objects: [
      ...rbac,
      due('pqc-audit', 'pqc-audit-tls', 5),
      due('pqc-audit-api', 'pqc-audit-api-tls', 300),
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

describe('cert-rotate with deploy/rbac/cert-rotate.yaml', () => {
  it('plans and applies with that Role alone', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      `system:serviceaccounts:${ns}`,
    ]);
    sim.clearJournal();
    const p = await runBundle('cert-rotate', {
      kubeconfig: kc.path,
      'clear-failed-requests': 'true',
    });
    expect(p.code, p.stdout).toBe(0);
    expect(p.outputs['due']).toBe('1');
    expect(p.stdout).toContain(
      'listing Secrets is forbidden: reading the 2 Secret(s) by name',
    );
    const denied = () =>
      sim.journal
        .filter((j) => j.status === 403)
        .map((j) => `${j.method} ${j.path}`);
    expect(denied()).toEqual([`GET /api/v1/namespaces/${ns}/secrets`]);
    sim.clearJournal();
    const a = await runBundle('cert-rotate', {
      kubeconfig: kc.path,
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
      'clear-failed-requests': 'true',
      'wait-timeout': '30s',
    });
    expect(a.code, a.stdout).toBe(0);
    expect(a.outputs['renewed']).toBe('1');
    expect(denied()).toEqual([]);
  });

  it('an identity without it fails in one line with the 403', async () => {
    const kc = sim.kubeconfigFor(`system:serviceaccount:${ns}:nobody`, [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('cert-rotate', { kubeconfig: kc.path });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error::cert-rotate: list certificates in ${ns}: certificates.cert-manager.io is forbidden: User "system:serviceaccount:${ns}:nobody" cannot list resource "certificates" in API group "cert-manager.io" in the namespace "${ns}" (HTTP 403 Forbidden)`,
    ]);
  });
});
