// incident (the bundle) under deploy/rbac/incident.yaml alone: the plans and
// the outage diagnosis with the plan identity, without a write; outage and
// security-incident (and the isolation's undo) applied with the incident
// identity without a single 403; an identity without it fails in one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { deployment } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'incident.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = (n: string) => `system:serviceaccount:${ns}:${n}`;
const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
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
      }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pqc-audit-secrets', namespace: ns },
        data: { SECRET_KEY: Buffer.from('s3cr3t-before').toString('base64') },
      },
    ],
  });
  await sim.settle();
}, 60_000);
afterAll(async () => sim?.close());

const denied = () =>
  sim.journal
    .filter((j) => j.status === 403)
    .map((j) => `${j.method} ${j.path}`);
const base = { 'crypto-check': 'none', keys: 'SECRET_KEY', timeout: '60s' };

describe('incident with deploy/rbac/incident.yaml', () => {
  it('plans both with the plan identity and writes nothing', async () => {
    const kc = sim.kubeconfigFor(sa('pqc-ops-incident-plan'), groups);
    sim.clearJournal();
    for (const procedure of ['outage', 'security-incident']) {
      const r = await runBundle('incident', {
        ...base,
        kubeconfig: kc.path,
        procedure,
      });
      expect(r.code, r.stdout).toBe(0);
      expect(r.outputs['plan-sha256']).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(denied()).toEqual([]);
    expect(sim.writes().filter((w) => w.status < 300)).toEqual([]);
  }, 120_000);

  it('applies outage, security-incident and the undo with the incident identity alone', async () => {
    const kc = sim.kubeconfigFor(sa('pqc-ops-incident'), groups);
    sim.clearJournal();
    const outage = await runBundle('incident', {
      ...base,
      kubeconfig: kc.path,
      procedure: 'outage',
      'scale-to': '3',
      mode: 'auto',
    });
    expect(outage.code, outage.stdout).toBe(0);
    const sec = await runBundle('incident', {
      ...base,
      kubeconfig: kc.path,
      procedure: 'security-incident',
      mode: 'auto',
    });
    expect(sec.code, sec.stdout).toBe(0);
    expect(sim.list('networking.k8s.io/v1', 'NetworkPolicy', ns)).toHaveLength(
      1,
    );
    const undo = await runBundle('incident', {
      kubeconfig: kc.path,
      procedure: 'security-incident',
      mode: 'apply',
      plan: sec.outputs['undo-plan-file'] ?? '',
    });
    expect(undo.code, undo.stdout).toBe(0);
    expect(sim.list('networking.k8s.io/v1', 'NetworkPolicy', ns)).toHaveLength(
      0,
    );
    expect(denied()).toEqual([]);
  }, 180_000);

  it('an identity without it fails in one line with the 403', async () => {
    const kc = sim.kubeconfigFor(sa('nobody'), ['system:serviceaccounts']);
    const r = await runBundle('incident', {
      ...base,
      kubeconfig: kc.path,
      procedure: 'outage',
    });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      expect.stringMatching(
        /^::error::incident: list pods app=pqc-audit in pqc-audit: pods is forbidden: User "system:serviceaccount:pqc-audit:nobody" cannot list resource "pods"/,
      ),
    ]);
  }, 60_000);
});
