// The Lease's guards in process against the simulator: the duration limits
// (boundary table), the exact expiry instant of another run's Lease, the
// bounded, backed-off retries, and what renewing reports when the Lease is
// lost or renewals fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, RefusedError } from '../../src/errors.js';
import { Kube } from '../../src/kube/client.js';
import { KubeError } from '../../src/kube/errors.js';
import {
  acquireLease,
  DEFAULT_LEASE_SECONDS,
  leaseSeconds,
  MAX_LEASE_SECONDS,
} from '../../src/kube/lease.js';
import { MAX_TIMER_MS } from '../../src/process/timer.js';
import { lease, namespace } from '../helpers/kube-objects.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';

let sim: KubeSim;
let kube: Kube;
const ns = 'guards';
const leases = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
const T = new Date('2026-11-26T12:00:00Z');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(async () => {
  sim = await startKubeSim({ objects: [namespace(ns)] });
  kube = await Kube.connect({
    kubeconfig: sim.kubeconfigPath,
    retry: { baseMs: 20, maxMs: 200, timeoutMs: 5000 },
  });
});
afterAll(async () => sim?.close());

function holder(name: string): string | undefined {
  const l = sim.get('coordination.k8s.io/v1', 'Lease', ns, name) as
    { spec: { holderIdentity?: string } } | undefined;
  return l?.spec.holderIdentity;
}

describe('lease durations', () => {
  it.each([
    [0.001, 1],
    [1, 1],
    [59.5, 60],
    [MAX_LEASE_SECONDS, MAX_LEASE_SECONDS],
    [MAX_LEASE_SECONDS - 0.5, MAX_LEASE_SECONDS],
  ])('%d s -> %d s', (given, s) => expect(leaseSeconds(given)).toBe(s));

  it.each([0, -1, NaN, Infinity, -Infinity])('refuses %d s', (given) => {
    expect(() => leaseSeconds(given)).toThrow(
      new ConfigurationError(
        `lease duration must be a positive number of seconds, got ${String(given)}`,
      ),
    );
  });

  it('refuses a second past what the timers hold', () => {
    expect(MAX_LEASE_SECONDS).toBe(Math.floor(MAX_TIMER_MS / 1000));
    for (const given of [MAX_LEASE_SECONDS + 1, MAX_LEASE_SECONDS + 0.5])
      expect(() => leaseSeconds(given)).toThrow(
        new ConfigurationError(
          `lease duration ${MAX_LEASE_SECONDS + 1} s is too long: at most ${MAX_LEASE_SECONDS} s (Node's timers overflow above 2^31-1 ms); the lease is renewed while held, so a short one (${DEFAULT_LEASE_SECONDS} s) is enough for any run`,
        ),
      );
  });
});

describe("another run's Lease", () => {
  const seed = (
    name: string,
    renew: Date,
    o: { acquire?: Date; holder?: string } = {},
  ) =>
    sim.apply({
      ...lease({
        name,
        namespace: ns,
        holder: o.holder ?? 'pqc-ops-other',
        durationSeconds: 60,
        renewTime: renew,
        acquireTime: o.acquire,
      }),
    });

  it('is refused until the very instant it expires, then taken over', async () => {
    seed('edge', T);
    const at = (ms: number) => () => new Date(T.getTime() + ms);
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'edge',
        now: at(59_001),
        holder: 'me',
      }),
    ).rejects.toThrow(
      new RefusedError(
        'lease guards/edge is held by pqc-ops-other (another run is in progress; it expires in 1 s if that run died)',
      ),
    );
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'edge',
        now: at(0),
        holder: 'me',
      }),
    ).rejects.toThrow('it expires in 60 s if that run died');
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'edge',
      now: at(60_000),
      holder: 'me',
    });
    expect(holder('edge')).toBe('me');
    expect(l).toMatchObject({
      name: 'edge',
      namespace: ns,
      holder: 'me',
      durationSeconds: 60,
    });
    await l.release();
    expect(holder('edge')).toBeUndefined();
  });

  it('counts from acquireTime when there is no renewTime', async () => {
    sim.apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'acquired', namespace: ns },
      spec: {
        holderIdentity: 'pqc-ops-other',
        leaseDurationSeconds: 60,
        acquireTime: '2026-11-26T12:00:00.000000Z',
      },
    });
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'acquired',
        now: () => new Date(T.getTime() + 30_000),
      }),
    ).rejects.toThrow('it expires in 30 s');
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'acquired',
      now: () => new Date(T.getTime() + 60_000),
    });
    await l.release();
  });

  it('a Lease without a holder is free', async () => {
    sim.apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'free', namespace: ns },
      spec: {
        leaseDurationSeconds: 60,
        renewTime: '2099-01-01T00:00:00.000000Z',
      },
    });
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'free',
      now: () => T,
      holder: 'me',
    });
    expect(holder('free')).toBe('me');
    await l.release();
  });
});

describe('retries', () => {
  it('back off 200, 400, 800 ms between ambiguous failures, then fail with the last error', async () => {
    const slept: number[] = [];
    sim.faults.add({ method: 'POST', path: leases, status: 503, times: 10 });
    const err = await acquireLease(kube, {
      namespace: ns,
      name: 'flaky',
      now: () => new Date(),
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    }).then(
      () => new Error('acquired'),
      (e: unknown) => e as Error,
    );
    sim.faults.clear();
    expect(slept).toEqual([200, 400, 800, 1600]);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).code).toBe(503);
    expect(err.message).toMatch(
      /^lease guards\/flaky: could not take it in 4 attempts: /,
    );
  });

  it('at least one attempt, whatever is asked; a clear refusal is not retried', async () => {
    const slept: number[] = [];
    sim.faults.add({ method: 'POST', path: leases, status: 500, times: 10 });
    const err = await acquireLease(kube, {
      namespace: ns,
      name: 'once',
      now: () => new Date(),
      attempts: 0,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    }).catch((e: unknown) => e as Error);
    sim.faults.clear();
    expect(slept).toEqual([200]);
    expect((err as Error).message).toMatch(/could not take it in 1 attempts/);
    sim.faults.add({ method: 'POST', path: leases, status: 403, times: 1 });
    const denied = await acquireLease(kube, {
      namespace: ns,
      name: 'denied',
      now: () => new Date(),
      sleep: () => Promise.reject(new Error('slept')),
    }).catch((e: unknown) => e as KubeError);
    sim.faults.clear();
    expect((denied as KubeError).code).toBe(403);
  });
});

describe('renewing', () => {
  it('renews every third of the duration, and reports a Lease someone took over', async () => {
    const problems: string[] = [];
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'renewed',
      durationSeconds: 1.2,
      now: () => new Date(),
      holder: 'me',
      onRenewProblem: (m) => problems.push(m),
    });
    expect(l.durationSeconds).toBe(2);
    const renewTime = () =>
      (
        sim.get('coordination.k8s.io/v1', 'Lease', ns, 'renewed') as {
          spec: { renewTime: string };
        }
      ).spec.renewTime;
    const first = renewTime();
    await sleep(900);
    expect(renewTime()).not.toBe(first);
    expect(problems).toEqual([]);
    const t = new Date();
    sim.apply(
      lease({
        name: 'renewed',
        namespace: ns,
        holder: 'thief',
        durationSeconds: 60,
        renewTime: t,
      }),
    );
    await sleep(1500);
    expect(problems).toEqual(['lease guards/renewed was taken over by thief']);
    await l.release();
    expect(holder('renewed')).toBe('thief');
  });
});

describe('holding and releasing', () => {
  const api = 'coordination.k8s.io/v1';
  const take = (name: string, problems: string[], durationSeconds = 60) =>
    acquireLease(kube, {
      namespace: ns,
      name,
      durationSeconds,
      now: () => new Date(),
      holder: 'me',
      onRenewProblem: (m) => problems.push(m),
    });
  const puts = (name: string) =>
    sim
      .writes()
      .filter((w) => w.method === 'PUT' && w.path === `${leases}/${name}`)
      .length;

  it('renews about every third of the duration, not more, and stops at release', async () => {
    const problems: string[] = [];
    sim.clearJournal();
    const l = await take('paced', problems, 1.5);
    await sleep(1300);
    const n = puts('paced');
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(3);
    await l.release();
    const after = sim.writes().length;
    await sleep(1200);
    expect(sim.writes().length).toBe(after);
    expect(problems).toEqual([]);
    expect(holder('paced')).toBeUndefined();
  });

  it('a Lease deleted under us is reported once, and renewing stops', async () => {
    const problems: string[] = [];
    const l = await take('deleted', problems, 1.2);
    sim.remove(api, 'Lease', ns, 'deleted');
    await sleep(2000);
    expect(problems).toEqual([
      'lease guards/deleted was taken over by nobody (it was deleted)',
    ]);
    await l.release();
  });

  it('a renewal answered 409 whose Lease is still ours is no problem', async () => {
    const problems: string[] = [];
    const l = await take('conflict', problems, 1.2);
    sim.faults.add({
      method: 'PUT',
      path: `${leases}/conflict`,
      status: 409,
      times: 1,
    });
    await sleep(900);
    sim.faults.clear();
    expect(problems).toEqual([]);
    await l.release();
    expect(holder('conflict')).toBeUndefined();
  });

  it('a renewal that fails names the step', async () => {
    const problems: string[] = [];
    const l = await take('forbidden', problems, 1.2);
    sim.faults.add({
      method: 'PUT',
      path: `${leases}/forbidden`,
      status: 403,
      times: 100,
    });
    await sleep(900);
    sim.faults.clear();
    expect(problems[0]).toMatch(
      /^renewing lease guards\/forbidden: renew lease guards\/forbidden: /,
    );
    await l.release();
  });

  it('release: gone (404) or taken meanwhile (409) is fine, another error is thrown', async () => {
    for (const status of [404, 409]) {
      const l = await take(`rel-${status}`, []);
      sim.faults.add({
        method: 'DELETE',
        path: `${leases}/rel-${status}`,
        status,
        times: 1,
      });
      await expect(l.release()).resolves.toBeUndefined();
      sim.faults.clear();
    }
    const l = await take('rel-403', []);
    sim.faults.add({
      method: 'DELETE',
      path: `${leases}/rel-403`,
      status: 403,
      times: 100,
    });
    await expect(l.release()).rejects.toThrow(/release lease guards\/rel-403/);
    sim.faults.clear();
    expect(holder('rel-403')).toBe('me');
  });

  it('release leaves a Lease that is gone, or has no holder, alone', async () => {
    const a = await take('rel-gone', []);
    sim.remove(api, 'Lease', ns, 'rel-gone');
    await expect(a.release()).resolves.toBeUndefined();
    const b = await take('rel-nospec', []);
    sim.apply({
      apiVersion: api,
      kind: 'Lease',
      metadata: { name: 'rel-nospec', namespace: ns },
    });
    await expect(b.release()).resolves.toBeUndefined();
    expect(sim.get(api, 'Lease', ns, 'rel-nospec')).toBeDefined();
  });

  it('a Lease without a spec is free; a failed takeover or read names its step', async () => {
    sim.apply({
      apiVersion: api,
      kind: 'Lease',
      metadata: { name: 'nospec', namespace: ns },
    });
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'nospec',
      now: () => T,
      holder: 'me',
    });
    expect(holder('nospec')).toBe('me');
    await l.release();
    sim.apply({
      apiVersion: api,
      kind: 'Lease',
      metadata: { name: 'deny', namespace: ns },
    });
    sim.faults.add({
      method: 'PUT',
      path: `${leases}/deny`,
      status: 403,
      times: 100,
    });
    await expect(
      acquireLease(kube, { namespace: ns, name: 'deny', now: () => T }),
    ).rejects.toThrow(/take over lease guards\/deny/);
    sim.faults.clear();
    sim.faults.add({
      method: 'GET',
      path: `${leases}/deny`,
      status: 403,
      times: 100,
    });
    await expect(
      acquireLease(kube, { namespace: ns, name: 'deny', now: () => T }),
    ).rejects.toThrow(/read lease guards\/deny/);
    sim.faults.clear();
  });
});
