import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/client.js';
import { KubeError } from '../../src/kube/errors.js';
import { PodRunner } from '../../src/kube/exec.js';
import { acquireLease } from '../../src/kube/lease.js';
import { restartDeployment, waitForRollout } from '../../src/kube/rollout.js';
import { runToEnd } from '../../src/process/runner.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import {
  configMap,
  deployment,
  lease,
  namespace,
} from '../helpers/kube-objects.js';

let sim: KubeSim;
let kube: Kube;
const retries: string[] = [];

const ns = 'wrap';
const objects = [
  namespace(ns),
  ...Array.from({ length: 7 }, (_, i) =>
    configMap({
      name: `cm-${i}`,
      namespace: ns,
      labels: { app: 'x' },
      data: { i: String(i) },
    }),
  ),
  deployment({ name: 'web', namespace: ns, replicas: 2, image: 'web:1' }),
];

beforeAll(async () => {
  sim = await startKubeSim({ objects });
  kube = await Kube.connect({
    kubeconfig: sim.kubeconfigPath,
    retry: { baseMs: 20, maxMs: 2000 },
    onRetry: (m) => retries.push(m),
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

const listPath = `/api/v1/namespaces/${ns}/configmaps`;
const listCms = () =>
  kube.listAll(
    `list configmaps in ${ns}`,
    (cont, limit) =>
      kube.core.listNamespacedConfigMap({
        namespace: ns,
        limit,
        _continue: cont,
      }),
    3,
  );

describe('Kube wrapper against kube-sim', () => {
  it('paginates with limit/continue', async () => {
    sim.clearJournal();
    const items = await listCms();
    expect(
      items.map((c) => c.metadata?.name).filter((n) => n?.startsWith('cm-')),
    ).toHaveLength(7);
    const gets = sim.journal.filter(
      (j) => j.method === 'GET' && j.path === listPath,
    );
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(gets[1]?.query['continue']).toBeTruthy();
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    sim.clearJournal();
    retries.length = 0;
    sim.faults.add({
      method: 'GET',
      path: listPath,
      status: 429,
      retryAfter: 1,
    });
    const t = Date.now();
    await listCms();
    const statuses = sim.journal
      .filter((j) => j.path === listPath)
      .map((j) => j.status);
    expect(statuses[0]).toBe(429);
    expect(statuses[1]).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    expect(retries[0]).toMatch(/retry 1\/4 in 1000 ms/);
  });

  it('retries a 500 and a connection dropped mid-list', async () => {
    sim.clearJournal();
    sim.faults.add({ method: 'GET', path: listPath, status: 500 });
    sim.faults.add({ method: 'GET', path: listPath, drop: 'mid-body' });
    const items = await listCms();
    expect(
      items.filter((c) => c.metadata?.name?.startsWith('cm-')),
    ).toHaveLength(7);
    const statuses = sim.journal
      .filter((j) => j.path === listPath)
      .map((j) => j.status);
    expect(statuses.slice(0, 2)).toContain(500);
    expect(
      sim.journal.filter((j) => j.path === listPath).length,
    ).toBeGreaterThanOrEqual(5);
  });

  it('never retries a 404, and says what was missing in one line', async () => {
    sim.clearJournal();
    const err = await kube
      .call('read deployment wrap/nope', () =>
        kube.apps.readNamespacedDeployment({ name: 'nope', namespace: ns }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).message).toBe(
      'read deployment wrap/nope: deployments.apps "nope" not found (HTTP 404 NotFound)',
    );
    expect(
      sim.journal.filter((j) => j.path.endsWith('/deployments/nope')),
    ).toHaveLength(1);
  });

  it('exec returns stdout, stderr and the exit code from the v5 status channel, with stdin', async () => {
    const pod = sim.list('v1', 'Pod', ns)[0].metadata.name as string;
    const r = new PodRunner(kube, ns, pod, 'web');
    const out = await runToEnd(r, ['sh', '-c', 'cat; echo err >&2; exit 3'], {
      stdin: 'hello\n',
      timeoutMs: 20_000,
    });
    expect(out).toMatchObject({
      exitCode: 3,
      stdout: 'hello\n',
      stderr: 'err\n',
      timedOut: false,
    });
    const ok = await runToEnd(r, ['true'], { timeoutMs: 20_000 });
    expect(ok.exitCode).toBe(0);
  });

  it('restarts a deployment like kubectl and waits for the rollout', async () => {
    const at = await restartDeployment(kube, ns, 'web', new Date());
    const d = sim.get('apps/v1', 'Deployment', ns, 'web');
    expect(
      d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
    ).toBe(at);
    const st = await waitForRollout(kube, ns, 'web', {
      timeoutMs: 20_000,
      intervalMs: 100,
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    expect(st).toMatchObject({
      done: true,
      timedOut: false,
      message: 'deployment "web" successfully rolled out',
    });
  });

  it('a held lease is renewed, so it keeps a second run out past its duration', async () => {
    const now = () => new Date();
    const problems: string[] = [];
    const a = await acquireLease(kube, {
      namespace: ns,
      name: 'lock',
      durationSeconds: 3,
      now,
      onRenewProblem: (m) => problems.push(m),
    });
    const first = sim.get('coordination.k8s.io/v1', 'Lease', ns, 'lock').spec
      .renewTime as string;
    await new Promise((r) => setTimeout(r, 3500));
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'lock').spec.renewTime,
    ).not.toBe(first);
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'lock',
        durationSeconds: 3,
        now,
      }),
    ).rejects.toThrow(/is held by pqc-ops-.*another run is in progress/);
    await a.release();
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'lock'),
    ).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('a stale lease of a run that died is taken over', async () => {
    const stale = new Date(Date.now() - 120_000);
    sim.apply(
      lease({
        name: 'lock2',
        namespace: ns,
        holder: 'pqc-ops-dead-run',
        durationSeconds: 60,
        acquireTime: stale,
        renewTime: stale,
      }),
    );
    const b = await acquireLease(kube, {
      namespace: ns,
      name: 'lock2',
      durationSeconds: 60,
      now: () => new Date(),
    });
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'lock2').spec
        .holderIdentity,
    ).toBe(b.holder);
    await b.release();
  });
});
