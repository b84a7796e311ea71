// cert-rotate against kube-sim's cert-manager: plan, drift, the renewal's
// journal, and a stuck issuance with and without clear-failed-requests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certRotate } from '../../../src/procedures/cert-rotate/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { certificate, namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

const ns = 'pqc-audit';
const DAY = 86_400_000;
let sim: KubeSim;
let tmp: string;

/** An issued Certificate whose notAfter is `days` from now (revision 2). */
function issued(name: string, days: number, algorithm = 'RSA') {
  const notAfter = new Date(Date.now() + days * DAY)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return certificate({
    name,
    namespace: ns,
    secretName: `${name}-tls`,
    issuer: 'pqc-ca',
    dnsNames: [`${name}.pqc.example`],
    privateKey: { algorithm },
    status: {
      notBefore: new Date(Date.now() - 30 * DAY)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z'),
      notAfter,
      renewalTime: notAfter,
      revision: 2,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
      ],
    },
  });
}

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-cert-'));
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      issued('api', 10),
      issued('web', 20, 'ECDSA'),
      issued('portal', 200),
    ],
  });
  await sim.settle();
});
afterEach(async () => {
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const cert = (name: string) =>
  sim.get('cert-manager.io/v1', 'Certificate', ns, name);
const writes = () =>
  sim
    .writes()
    .filter((w) => !w.path.includes('/leases'))
    .map((w) => `${w.method} ${w.path}`);

function run(inputs: Record<string, string>) {
  return runProcedure(
    certRotate,
    { kubeconfig: sim.kubeconfigPath, ...inputs },
    { ...process.env, RUNNER_TEMP: tmp },
  );
}

async function plan(inputs: Record<string, string> = {}) {
  sim.clearJournal();
  const p = await run(inputs);
  expect(p.failure, p.logs.join('\n')).toBeUndefined();
  return p;
}

/** What someone else does: `cmctl renew`, then cert-manager issues. */
async function renewBySomeoneElse(name: string): Promise<void> {
  const c = cert(name);
  sim.apply({
    ...c,
    status: {
      ...c.status,
      conditions: [
        ...c.status.conditions,
        { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered' },
      ],
    },
  });
  await sim.settle();
}

describe('cert-rotate plan', () => {
  it('plans one renewal per due Certificate, with algorithms and drift baseline, and writes nothing', async () => {
    const p = await plan();
    expect(writes()).toEqual([]);
    expect(sim.writes()).toEqual([]);
    expect(p.outputs['due']).toBe('2');
    expect(p.outputs['renewed']).toBe('0');
    expect(p.outputs['applied']).toBe('false');
    expect(p.outputs['quantum-vulnerable']).toBe('3');
    const planDoc = JSON.parse(p.outputs['plan']);
    expect(planDoc.changes.map((c: { object: string }) => c.object)).toEqual([
      `Certificate ${ns}/api`,
      `Certificate ${ns}/web`,
    ]);
    expect(planDoc.changes[0].reason).toMatch(/^expires in (9|10) day\(s\)$/);
    expect(planDoc.changes[0].undo).toMatch(/^nothing to undo/);
    expect(planDoc.basis[0]).toMatchObject({
      object: `Certificate ${ns}/api`,
      uid: cert('api').metadata.uid,
      versionKind: 'resourceVersion',
      version: cert('api').metadata.resourceVersion,
      state: `revision 2, notAfter ${cert('api').status.notAfter}`,
    });
    expect(p.markdown).toContain('RSA 2048');
    expect(p.markdown).toContain('ECDSA P-256');
    expect(p.markdown).toContain('⚠ vulnerable');
    const result = p.result;
    expect(result.status).toBe('warning');
    expect(result.artifacts[0]?.path).toMatch(/cert-rotate-inventory-/);
  });

  it('takes the namespaces, the selector and * (one cluster-wide list)', async () => {
    sim.apply(namespace('other'));
    sim.apply({
      ...issued('x', 5),
      metadata: { name: 'x', namespace: 'other', labels: { tier: 'edge' } },
    });
    await sim.settle();
    const all = await plan({ namespaces: '*' });
    expect(all.outputs['due']).toBe('3');
    expect(
      sim.journal.filter(
        (j) => j.path === '/apis/cert-manager.io/v1/certificates',
      ),
    ).toHaveLength(1);
    const edge = await plan({
      namespaces: 'pqc-audit, other',
      selector: 'tier=edge',
    });
    expect(
      JSON.parse(edge.outputs['plan']).changes.map(
        (c: { object: string }) => c.object,
      ),
    ).toEqual(['Certificate other/x']);
  });

  it('reads every page: 1,100 Certificates and their Secrets, 500 per request', async () => {
    const crt = sim.get('v1', 'Secret', ns, 'portal-tls').data['tls.crt'];
    for (let i = 0; i < 1100; i++) {
      const c = issued(`bulk-${i}`, 30);
      sim.apply({ ...c, spec: { ...c.spec, secretName: `bulk-${i}-tls` } });
      sim.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `bulk-${i}-tls`, namespace: ns },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': crt },
      });
    }
    for (const scope of ['*', ns]) {
      const p = await plan({ namespaces: scope });
      expect(p.outputs['due']).toBe('1102');
      const lists = (re: RegExp) =>
        sim.journal.filter((j) => j.method === 'GET' && re.test(j.path)).length;
      expect(lists(/\/certificates$/)).toBe(3);
      expect(lists(/\/secrets$/)).toBe(3);
      expect(lists(/\/(certificates|secrets)\/[^/]+$/)).toBe(0);
    }
  });

  it('a missing Secret is a finding on that Certificate, not a crash', async () => {
    sim.remove('v1', 'Secret', ns, 'portal-tls');
    sim.apply({
      ...cert('portal'),
      metadata: { ...cert('portal').metadata, annotations: {} },
    });
    const p = await run({});
    expect(p.failure).toBeUndefined();
    expect(p.markdown).toMatch(/Secret pqc-audit\/portal-tls is missing/);
  });
});

describe('cert-rotate apply', () => {
  it('refuses drift object by object: one renewed in between, another deleted', async () => {
    const p = await plan();
    await renewBySomeoneElse('api');
    sim.remove('cert-manager.io/v1', 'Certificate', ns, 'web');
    await sim.settle();
    sim.clearJournal();
    const a = await run({ mode: 'apply', plan: p.outputs['plan-file'] });
    expect(a.failureKind).toBe('refused');
    expect(a.failure).toMatch(
      /Certificate pqc-audit\/api changed \(resourceVersion \d+ -> \d+; revision 2, notAfter \S+ -> revision 3, notAfter \S+\)/,
    );
    expect(a.failure).toContain('Certificate pqc-audit/web no longer exists');
    expect(writes()).toEqual([]);
    expect(a.result.changes).toEqual([]);
  });

  it('renews exactly the planned Certificates with one status write each, and reports before and after', async () => {
    const p = await plan();
    const before = cert('api').status;
    sim.clearJournal();
    const a = await run({
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
      'wait-timeout': '30s',
    });
    expect(a.failure, a.logs.join('\n')).toBeUndefined();
    expect(writes()).toEqual([
      `PATCH /apis/cert-manager.io/v1/namespaces/${ns}/certificates/api/status`,
      `PATCH /apis/cert-manager.io/v1/namespaces/${ns}/certificates/web/status`,
    ]);
    const patch = sim.writes().find((w) => w.path.endsWith('/api/status'));
    expect(patch?.headers['content-type']).toMatch(/merge-patch/);
    expect(patch?.body).toMatchObject({
      metadata: { resourceVersion: expect.any(String) },
      status: {
        conditions: expect.arrayContaining([
          expect.objectContaining({
            type: 'Issuing',
            status: 'True',
            reason: 'ManuallyTriggered',
          }),
        ]),
      },
    });
    const after = cert('api').status;
    expect(after.revision).toBe(3);
    expect(Date.parse(after.notAfter)).toBeGreaterThan(
      Date.parse(before.notAfter),
    );
    expect(cert('portal').status.revision).toBe(2);
    expect(a.outputs['renewed']).toBe('2');
    expect(a.outputs['applied']).toBe('true');
    expect(a.markdown).toContain(`revision 2, notAfter ${before.notAfter}`);
    expect(a.markdown).toContain(`revision 3, notAfter ${after.notAfter}`);
    expect(a.result.changes.map((c) => c.where)).toEqual([
      `Certificate ${ns}/api`,
      `Certificate ${ns}/web`,
    ]);
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-cert-rotate'),
    ).toBeUndefined();
  });
});

describe('cert-rotate and a stuck issuance', () => {
  beforeEach(async () => {
    sim.apply(
      certificate({
        name: 'stuck',
        namespace: ns,
        secretName: 'stuck-tls',
        issuer: 'pqc-ca',
        commonName: 'stuck',
        failIssuance: true,
      }),
    );
    await sim.settle();
    expect(cert('stuck').status.failedIssuanceAttempts).toBe(1);
  });

  function fixIssuer(): void {
    const c = cert('stuck');
    sim.apply({ ...c, metadata: { ...c.metadata, annotations: {} } });
  }

  async function applyStuck(
    p: { outputs: Record<string, string> },
    clear: string,
  ) {
    return run({
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'clear-failed-requests': clear,
      'wait-timeout': '3s',
    });
  }
  function expectTimedOut(a: Awaited<ReturnType<typeof run>>): void {
    expect(a.failure).toMatch(
      /^cert-rotate: Certificate pqc-audit\/stuck: not renewed: no new revision within 3 s \(issuance failed: /,
    );
    expect(
      a.result.checks.find((c) => c.name === `Certificate ${ns}/api`)?.status,
    ).toBe('ok');
  }

  it('without clear-failed-requests, the renewal times out naming the certificate', async () => {
    const p = await plan();
    expect(
      JSON.parse(p.outputs['plan']).changes.map(
        (c: { object: string }) => c.object,
      ),
    ).toContain(`Certificate ${ns}/stuck`);
    expectTimedOut(await applyStuck(p, 'false'));
  });

  it('without clear-failed-requests, it still times out once the issuer works: the failed request blocks it', async () => {
    fixIssuer();
    await sim.settle();
    const p = await plan();
    expectTimedOut(await applyStuck(p, 'false'));
    expect(
      sim
        .list('cert-manager.io/v1', 'CertificateRequest', ns)
        .map((r) => r.metadata.name),
    ).toContain('stuck-1');
  });

  it('with clear-failed-requests, the failed request is planned, deleted first, and the renewal completes', async () => {
    fixIssuer();
    await sim.settle();
    const p = await plan({ 'clear-failed-requests': 'true' });
    const objects = JSON.parse(p.outputs['plan']).changes.map(
      (c: { object: string }) => c.object,
    );
    expect(objects).toEqual([
      `Certificate ${ns}/api`,
      `CertificateRequest ${ns}/stuck-1`,
      `Certificate ${ns}/stuck`,
      `Certificate ${ns}/web`,
    ]);
    sim.clearJournal();
    const a = await run({
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'clear-failed-requests': 'true',
      'wait-timeout': '30s',
    });
    expect(a.failure, a.logs.join('\n')).toBeUndefined();
    expect(writes()).toEqual([
      `PATCH /apis/cert-manager.io/v1/namespaces/${ns}/certificates/api/status`,
      `DELETE /apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests/stuck-1`,
      `PATCH /apis/cert-manager.io/v1/namespaces/${ns}/certificates/stuck/status`,
      `PATCH /apis/cert-manager.io/v1/namespaces/${ns}/certificates/web/status`,
    ]);
    expect(cert('stuck').status.revision).toBe(1);
    expect(
      cert('stuck').status.conditions.find(
        (c: { type: string }) => c.type === 'Ready',
      ).status,
    ).toBe('True');
    expect(a.outputs['renewed']).toBe('3');
  });

  it('a plan made with clear-failed-requests is refused by a run without it', async () => {
    const p = await plan({ 'clear-failed-requests': 'true' });
    sim.clearJournal();
    const a = await run({ mode: 'apply', plan: p.outputs['plan-file'] });
    expect(a.failureKind).toBe('refused');
    expect(a.failure).toMatch(
      /clearFailedRequests: the plan has true, this run false/,
    );
    expect(writes()).toEqual([]);
  });
});
