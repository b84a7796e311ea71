import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/client.js';
import { holdLease, type ConnectContext } from '../../src/kube/connect.js';
import {
  acquireLease,
  DEFAULT_LEASE_SECONDS,
  MAX_LEASE_SECONDS,
} from '../../src/kube/lease.js';
import { ConfigurationError, RefusedError } from '../../src/errors.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { lease, namespace } from '../helpers/kube-objects.js';

let sim: KubeSim;
let kube: Kube;
const ns = 'locks';
const now = () => new Date();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const leases = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
const leaseApi = 'coordination.k8s.io/v1';

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [namespace(ns)],
  });
  kube = await Kube.connect({
    kubeconfig: sim.kubeconfigPath,
    retry: { baseMs: 20, maxMs: 200, timeoutMs: 5000 },
  });
});
afterAll(async () => sim?.close());

/** The Lease as the server has it (undefined when absent). */
function stored(name: string) {
  return sim.get(leaseApi, 'Lease', ns, name) as
    | {
        metadata: { resourceVersion: string };
        spec: {
          holderIdentity?: string;
          leaseDurationSeconds?: number;
          renewTime?: string;
        };
      }
    | undefined;
}

const writesTo = (name: string) =>
  sim
    .writes()
    .filter((w) => w.path === leases || w.path === `${leases}/${name}`)
    .map((w) => `${w.method} ${w.status}`);

function seedStale(name: string, holder: string) {
  const stale = new Date(Date.now() - 600_000);
  sim.apply(
    lease({
      name,
      namespace: ns,
      holder,
      durationSeconds: 60,
      acquireTime: stale,
      renewTime: stale,
    }),
  );
}

describe('acquiring a Lease is idempotent under ambiguous failures', () => {
  it('a create that times out client-side but lands server-side is ours, and does not block the next run', async () => {
    // The client gives up after 300 ms; the server applies the POST after 800 ms.
    const impatient = await Kube.connect({
      kubeconfig: sim.kubeconfigPath,
      retry: { baseMs: 20, maxMs: 200, timeoutMs: 300 },
    });
    sim.clearJournal();
    sim.faults.add({ method: 'POST', path: leases, delayMs: 800 });
    const a = await acquireLease(impatient, {
      namespace: ns,
      name: 'slow-create',
      now,
    });
    expect(stored('slow-create')?.spec.holderIdentity).toBe(a.holder);
    // Let the delayed POST arrive: it must not change who holds the Lease.
    await sleep(1000);
    expect(stored('slow-create')?.spec.holderIdentity).toBe(a.holder);
    await a.release();
    expect(stored('slow-create')).toBeUndefined();
    // The next run gets it at once instead of waiting the lease out.
    const b = await acquireLease(kube, {
      namespace: ns,
      name: 'slow-create',
      now,
    });
    await b.release();
  });

  it('a create applied but whose answer was dropped mid-body is recognised as ours', async () => {
    sim.clearJournal();
    sim.faults.add({ method: 'POST', path: leases, drop: 'mid-body' });
    const a = await acquireLease(kube, {
      namespace: ns,
      name: 'dropped-answer',
      now,
    });
    expect(stored('dropped-answer')?.spec.holderIdentity).toBe(a.holder);
    // One create only: the re-read showed it had been applied.
    expect(writesTo('dropped-answer')).toEqual(['POST 201']);
    await a.release();
    expect(stored('dropped-answer')).toBeUndefined();
  });

  it('a single dropped connection on the create is retried instead of failing the caller', async () => {
    sim.clearJournal();
    sim.faults.add({ method: 'POST', path: leases, drop: 'before-response' });
    const a = await acquireLease(kube, {
      namespace: ns,
      name: 'dropped-create',
      now,
    });
    expect(stored('dropped-create')?.spec.holderIdentity).toBe(a.holder);
    expect(writesTo('dropped-create')).toEqual(['POST -1', 'POST 201']);
    await a.release();
  });

  it('a 500 on the create is retried', async () => {
    sim.clearJournal();
    sim.faults.add({ method: 'POST', path: leases, status: 500 });
    const a = await acquireLease(kube, {
      namespace: ns,
      name: 'error-create',
      now,
    });
    expect(writesTo('error-create')).toEqual(['POST 500', 'POST 201']);
    await a.release();
  });

  it('a takeover applied but whose answer was dropped is recognised as ours', async () => {
    seedStale('dropped-takeover', 'pqc-ops-dead-run');
    sim.clearJournal();
    sim.faults.add({
      method: 'PUT',
      path: `${leases}/dropped-takeover`,
      drop: 'mid-body',
    });
    const a = await acquireLease(kube, {
      namespace: ns,
      name: 'dropped-takeover',
      now,
    });
    expect(stored('dropped-takeover')?.spec.holderIdentity).toBe(a.holder);
    expect(writesTo('dropped-takeover')).toEqual(['PUT 200']);
    await a.release();
  });

  it('a lease another run took while our create failed ambiguously is refused', async () => {
    sim.clearJournal();
    sim.faults.add({ method: 'POST', path: leases, drop: 'before-response' });
    const other = new Date();
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'raced',
        now,
        // Between our failed create and the re-read, another run takes it.
        sleep: () => {
          sim.apply(
            lease({
              name: 'raced',
              namespace: ns,
              holder: 'pqc-ops-other-run',
              durationSeconds: 60,
              acquireTime: other,
              renewTime: other,
            }),
          );
          return Promise.resolve();
        },
      }),
    ).rejects.toThrow(/is held by pqc-ops-other-run/);
    expect(stored('raced')?.spec.holderIdentity).toBe('pqc-ops-other-run');
  });

  it('ambiguous failures are retried a bounded number of times, then fail in one line', async () => {
    sim.clearJournal();
    sim.faults.add({
      method: 'POST',
      path: leases,
      drop: 'before-response',
      times: 10,
    });
    const err = await acquireLease(kube, {
      namespace: ns,
      name: 'unlucky',
      now,
      attempts: 3,
    }).then(
      () => new Error('acquired'),
      (e: unknown) => e as Error,
    );
    sim.faults.clear();
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(
      /^lease locks\/unlucky: could not take it in 3 attempts: create lease locks\/unlucky: lost the connection to the Kubernetes API/,
    );
    expect(err.message).not.toContain('\n');
    expect(writesTo('unlucky')).toEqual(['POST -1', 'POST -1', 'POST -1']);
    expect(stored('unlucky')).toBeUndefined();
  });

  it('a live lease of another run is still refused', async () => {
    const a = await acquireLease(kube, { namespace: ns, name: 'busy', now });
    await expect(
      acquireLease(kube, { namespace: ns, name: 'busy', now }),
    ).rejects.toBeInstanceOf(RefusedError);
    await a.release();
  });
});

describe('the Lease is short and renewed', () => {
  const ctx = (warnings: string[]): ConnectContext => ({
    env: {},
    maskSecret: () => undefined,
    sleep,
    now,
    log: { warning: (m) => warnings.push(m) },
  });

  it('holdLease takes a 60 s lease whatever the run may take (no 2 h lock-duration any more)', async () => {
    const warnings: string[] = [];
    const l = await holdLease(kube, ctx(warnings), {
      namespace: ns,
      name: 'short',
    });
    expect(stored('short')?.spec.leaseDurationSeconds).toBe(60);
    expect(DEFAULT_LEASE_SECONDS).toBe(60);
    await l.release();
    expect(stored('short')).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('holdLease takes the lease duration as a parameter and renews it every third of it', async () => {
    const warnings: string[] = [];
    const l = await holdLease(kube, ctx(warnings), {
      namespace: ns,
      name: 'renewed',
      leaseSeconds: 1,
    });
    expect(stored('renewed')?.spec.leaseDurationSeconds).toBe(1);
    const renewTimes = new Set<string>();
    // Three times the lease duration: it never expires while held.
    for (let i = 0; i < 10; i++) {
      await sleep(300);
      const s = stored('renewed');
      renewTimes.add(s?.spec.renewTime ?? '');
      const age = Date.now() - new Date(s?.spec.renewTime ?? 0).getTime();
      expect(age).toBeLessThan(1000);
    }
    expect(renewTimes.size).toBeGreaterThanOrEqual(5);
    await expect(
      acquireLease(kube, { namespace: ns, name: 'renewed', now }),
    ).rejects.toThrow(/is held by/);
    await l.release();
    expect(stored('renewed')).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('a duration above the 2^31-1 ms timer limit is refused before anything is written', async () => {
    sim.clearJournal();
    const tooLong = MAX_LEASE_SECONDS + 1;
    await expect(
      acquireLease(kube, {
        namespace: ns,
        name: 'overflow',
        durationSeconds: tooLong,
        now,
      }),
    ).rejects.toThrow(/lease duration 2147484 s is too long/);
    await expect(
      holdLease(kube, ctx([]), {
        namespace: ns,
        name: 'overflow',
        leaseSeconds: 30 * 86400,
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect(writesTo('overflow')).toEqual([]);
    expect(stored('overflow')).toBeUndefined();
  });

  it('a zero or negative duration is refused before anything is written', async () => {
    sim.clearJournal();
    for (const d of [0, -5, Number.NaN]) {
      await expect(
        acquireLease(kube, {
          namespace: ns,
          name: 'zero',
          durationSeconds: d,
          now,
        }),
      ).rejects.toThrow(/must be a positive number of seconds/);
    }
    expect(writesTo('zero')).toEqual([]);
  });

  it('release deletes the lease even when every renewal failed', async () => {
    const problems: string[] = [];
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'renew-fails',
      durationSeconds: 3,
      now,
      onRenewProblem: (m) => problems.push(m),
    });
    sim.faults.add({
      method: 'PUT',
      path: `${leases}/renew-fails`,
      status: 403,
      times: 1000,
    });
    await sleep(1500);
    sim.faults.clear();
    expect(problems[0]).toMatch(/^renewing lease locks\/renew-fails: .*403/);
    await l.release();
    expect(stored('renew-fails')).toBeUndefined();
  });

  it('release never deletes a lease another run took over in the meantime', async () => {
    const l = await acquireLease(kube, {
      namespace: ns,
      name: 'taken-meanwhile',
      now,
    });
    // The DELETE is slow; while it travels, a new run takes the Lease over.
    sim.faults.add({
      method: 'DELETE',
      path: `${leases}/taken-meanwhile`,
      delayMs: 300,
    });
    const releasing = l.release();
    await sleep(100);
    const t = new Date();
    sim.apply(
      lease({
        name: 'taken-meanwhile',
        namespace: ns,
        holder: 'pqc-ops-next-run',
        durationSeconds: 60,
        acquireTime: t,
        renewTime: t,
      }),
    );
    await releasing;
    expect(stored('taken-meanwhile')?.spec.holderIdentity).toBe(
      'pqc-ops-next-run',
    );
  });
});
