// housekeeping (the bundle) under deploy/rbac/housekeeping.yaml alone: plan
// and apply work without a single 403; an identity without it fails in one
// line with the 403.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { container, pod } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'housekeeping.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = `system:serviceaccount:${ns}:pqc-ops-housekeeping`;
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    objects: [
      ...rbac,
      pod({
        name: 'pqc-audit-0',
        namespace: ns,
        labels: { app: 'pqc-audit' },
        containers: [container('pqc-audit', 'pqc-audit:1')],
      }),
    ],
  });
  await sim.settle();
  const dir = join(sim.podRoot(ns, 'pqc-audit-0'), 'var/log/pqc-audit');
  mkdirSync(dir, { recursive: true });
  for (const [n, days] of [
    ['old.log', 8],
    ['older.log.gz', 31],
  ] as const) {
    writeFileSync(join(dir, n), 'x\n'.repeat(100));
    const t = new Date(Date.now() - days * 86_400_000);
    utimesSync(join(dir, n), t, t);
  }
});
afterAll(async () => sim?.close());

const denied = () =>
  sim.journal
    .filter((j) => j.status === 403)
    .map((j) => `${j.method} ${j.path}`);

describe('housekeeping with deploy/rbac/housekeeping.yaml', () => {
  it('plans and applies with that Role alone', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      `system:serviceaccounts:${ns}`,
    ]);
    sim.clearJournal();
    const p = await runBundle('housekeeping', {
      kubeconfig: kc.path,
      vacuum: 'false',
    });
    expect(p.code, p.stdout).toBe(0);
    const a = await runBundle('housekeeping', {
      kubeconfig: kc.path,
      vacuum: 'false',
      mode: 'apply',
      plan: p.outputs['plan-file'] ?? '',
      'plan-sha256': p.outputs['plan-sha256'] ?? '',
    });
    expect(a.code, a.stdout).toBe(0);
    expect(a.outputs['compressed']).toBe('1');
    expect(a.outputs['deleted']).toBe('1');
    expect(denied()).toEqual([]);
    expect(
      readdirSync(join(sim.podRoot(ns, 'pqc-audit-0'), 'var/log/pqc-audit')),
    ).toEqual(['old.log.gz']);
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-housekeeping'),
    ).toBeUndefined();
  });

  it('an identity without it fails in one line with the 403', async () => {
    const kc = sim.kubeconfigFor(`system:serviceaccount:${ns}:nobody`, [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('housekeeping', {
      kubeconfig: kc.path,
      vacuum: 'false',
    });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error::housekeeping: list pods app=pqc-audit in ${ns}: pods is forbidden: User "system:serviceaccount:${ns}:nobody" cannot list resource "pods" in API group "" in the namespace "${ns}" (HTTP 403 Forbidden)`,
    ]);
  });
});
