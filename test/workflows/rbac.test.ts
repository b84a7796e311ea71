// deploy/rbac/readonly.yaml, the identity of every ungated job but the
// backup: health (without self-heal or the self-test) and every plan work
// under it, and nothing that changes the target or runs code in a pod does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import { runBundle } from '../helpers/bundle.js';
import {
  expiringCertificate,
  forbidden,
  startServiceSim,
  type Identities,
} from './fixtures.js';

let sim: KubeSim;
let kube: Identities;

beforeAll(async () => {
  ({ sim, kube } = await startServiceSim(undefined, [
    expiringCertificate('pqc-audit', 5),
  ]));
}, 120_000);
afterAll(async () => sim?.close());

const READONLY = 'system:serviceaccount:pqc-audit:pqc-ops-readonly';

describe('the read-only identity', () => {
  it('runs health and the cert-rotate and scale plans', async () => {
    sim.clearJournal();
    const h = await runBundle('health', {
      kubeconfig: kube.readonly,
      'crypto-check': 'none',
    });
    expect(h.code, h.stdout).toBe(0);
    expect(h.outputs['status']).toBe('healthy');
    const c = await runBundle('cert-rotate', {
      kubeconfig: kube.readonly,
      'clear-failed-requests': 'true',
    });
    expect(c.code, c.stdout).toBe(0);
    expect(c.outputs['due']).toBe('1');
    const s = await runBundle('scale', {
      kubeconfig: kube.readonly,
      replicas: '3',
    });
    expect(s.code, s.stdout).toBe(0);
    expect(s.outputs['plan-sha256']).toMatch(/^[0-9a-f]{64}$/);
    // Only the TLS Secrets were refused (the plan notes it), never a write.
    expect(
      forbidden(sim).every((f) =>
        f.startsWith(`${READONLY} GET /api/v1/namespaces/pqc-audit/secrets`),
      ),
    ).toBe(true);
    expect(sim.writes().filter((w) => w.user === READONLY)).toEqual([]);
  });

  it.each([
    [
      'health self-heal restarts nothing',
      'health',
      {
        'self-heal': 'true',
        'health-url': 'http://127.0.0.1:9/health',
        'crypto-check': 'none',
      },
      /forbidden|403/,
    ],
    [
      'the crypto self-test cannot exec',
      'health',
      { 'crypto-check': 'command', 'crypto-command': '["true"]' },
      /crypto/,
    ],
    [
      'scale auto is refused',
      'scale',
      { replicas: '5', mode: 'auto' },
      /403|forbidden/,
    ],
  ])('%s', async (_, action, inputs, why) => {
    sim.clearJournal();
    const r = await runBundle(action, { kubeconfig: kube.readonly, ...inputs });
    expect(r.stdout).toMatch(why);
    expect(
      sim.writes().filter((w) => w.user === READONLY && w.status < 300),
    ).toEqual([]);
    expect(forbidden(sim).length).toBeGreaterThan(0);
    expect(
      sim.get('apps/v1', 'Deployment', 'pqc-audit', 'pqc-audit').spec.replicas,
    ).toBe(2);
  });
});
