// cert-rotate's metrics on the real Pushgateway: the scan's counts and the
// earliest expiry after a run, and pqc_cert_rotate_success 0 when the run
// cannot even start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certRotate } from '../../../src/procedures/cert-rotate/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { certificate, namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startPushgateway, type Pushgateway } from '../../services/index.js';

const ns = 'pqc-audit';
const DAY = 86_400_000;
let sim: KubeSim;
let gw: Pushgateway;
let tmp: string;
const soon = new Date(Date.now() + 12 * DAY)
  .toISOString()
  .replace(/\.\d+Z$/, 'Z');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-cert-m-'));
  gw = await startPushgateway();
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      certificate({
        name: 'api',
        namespace: ns,
        secretName: 'api-tls',
        issuer: 'ca',
        dnsNames: ['api.example'],
        status: {
          notBefore: '2026-01-01T00:00:00Z',
          notAfter: soon,
          revision: 1,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
        },
      }),
      certificate({
        name: 'web',
        namespace: ns,
        secretName: 'web-tls',
        issuer: 'ca',
        dnsNames: ['web.example'],
      }),
    ],
  });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await gw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cert-rotate metrics', () => {
  it('pushes scanned, due, renewed, quantum-vulnerable, success and the earliest expiry', async () => {
    const r = await runProcedure(
      certRotate,
      { kubeconfig: sim.kubeconfigPath, 'pushgateway-url': gw.url },
      { ...process.env, RUNNER_TEMP: tmp },
    );
    expect(r.failure).toBeUndefined();
    const job = { job: 'pqc-ops-cert-rotate' };
    expect(await gw.sample('pqc_certificates_scanned', job)).toBe(2);
    expect(await gw.sample('pqc_certificates_due', job)).toBe(1);
    expect(await gw.sample('pqc_certificates_renewed', job)).toBe(0);
    expect(await gw.sample('pqc_certificates_quantum_vulnerable', job)).toBe(2);
    expect(await gw.sample('pqc_cert_rotate_success', job)).toBe(1);
    expect(
      await gw.sample('pqc_certificate_earliest_expiry_timestamp_seconds', job),
    ).toBe(Date.parse(soon) / 1000);
  });

  it('a run refused for bad input still pushes pqc_cert_rotate_success 0', async () => {
    const r = await runProcedure(
      certRotate,
      {
        kubeconfig: sim.kubeconfigPath,
        'pushgateway-url': gw.url,
        within: 'soon',
      },
      { ...process.env, RUNNER_TEMP: tmp },
    );
    expect(r.failureKind).toBe('configuration');
    expect(
      await gw.sample('pqc_cert_rotate_success', {
        job: 'pqc-ops-cert-rotate',
      }),
    ).toBe(0);
    // the last good scan's figures stay (POST replaces only what it names)
    expect(
      await gw.sample('pqc_certificates_scanned', {
        job: 'pqc-ops-cert-rotate',
      }),
    ).toBe(2);
  });
});
