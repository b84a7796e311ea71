// `pqc-ops incident` (the real CLI) against kube-sim, as on a laptop while
// GitHub is down: the outage plan and `pqc-ops apply` of it, then a
// security-incident in one step and `pqc-ops apply` of its undo plan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { runCli } from '../helpers/cli.js';
import { deployment, namespace } from '../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'a:1',
      }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pqc-audit-secrets', namespace: ns },
        data: { SECRET_KEY: Buffer.from('before').toString('base64') },
      },
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

const dep = () => sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
const applyCommand = (err: string) =>
  /\n {2}pqc-ops (apply \S+ --plan-sha256 [0-9a-f]{64})\n?$/
    .exec(err)?.[1]
    ?.split(' ');

describe('pqc-ops incident', () => {
  it('plans an outage response, and pqc-ops apply applies it', async () => {
    const base = ['--kubeconfig', sim.kubeconfigPath, '--crypto-check', 'none'];
    const p = await runCli([
      'incident',
      '--procedure',
      'outage',
      '--scale-to',
      '3',
      ...base,
    ]);
    expect(p.code, p.err).toBe(0);
    expect(dep().spec.replicas).toBe(2);
    const args = applyCommand(p.err);
    expect(args, p.err).toBeDefined();
    const a = await runCli(args ?? [], { USER: 'laptop-user' });
    expect(a.code, a.err).toBe(0);
    expect(dep().spec.replicas).toBe(3);
    expect(a.out + a.err).toMatch(/laptop-user/);
  }, 120_000);

  it('runs a security-incident in one step, and its undo plan lifts the isolation', async () => {
    const r = await runCli([
      'incident',
      '--procedure',
      'security-incident',
      '--keys',
      'SECRET_KEY',
      '--mode',
      'auto',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const undo = /incident-undo-isolation-[0-9a-f]{12}\.json/.exec(
      r.out + r.err,
    );
    expect(undo, r.out + r.err).not.toBeNull();
    expect(sim.list('networking.k8s.io/v1', 'NetworkPolicy', ns)).toHaveLength(
      1,
    );
    const file = /(\S+incident-undo-isolation-[0-9a-f]{12}\.json)/.exec(
      r.out + r.err,
    )?.[1];
    const a = await runCli(['apply', file ?? '', '--yes']);
    expect(a.code, a.err).toBe(0);
    expect(sim.list('networking.k8s.io/v1', 'NetworkPolicy', ns)).toHaveLength(
      0,
    );
  }, 120_000);
});
