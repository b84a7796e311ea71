import { randomUUID } from 'node:crypto';
import type { V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';
import { MAX_TIMER_MS } from '../process/timer.js';
import { ConfigurationError, RefusedError } from '../errors.js';

/** A held Lease, renewed in the background until `release` deletes our claim. */
export interface HeldLease {
  name: string;
  namespace: string;
  holder: string;
  /** The Lease's leaseDurationSeconds; renewed every third of it. */
  durationSeconds: number;
  /**
   * Stops renewing and deletes the Lease if it is still ours. Runs whether
   * or not renewals failed; a Lease someone else took over is left alone.
   */
  release(): Promise<void>;
}

/**
 * The default leaseDurationSeconds: short, because the Lease is renewed while
 * held. A run that dies (or a create that landed after we gave up on it)
 * blocks the next run for at most this long.
 */
export const DEFAULT_LEASE_SECONDS = 60;

/** The longest lease duration whose renewal interval Node's timers can hold. */
export const MAX_LEASE_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** Attempts at the create or takeover when an attempt ends ambiguously. */
const DEFAULT_ACQUIRE_ATTEMPTS = 4;

/**
 * Checks a lease duration: a positive number of seconds (rounded up to a
 * whole second, as leaseDurationSeconds is an integer) whose milliseconds fit
 * Node's timers (2^31-1 ms, about 24.8 days).
 */
export function leaseSeconds(durationSeconds: number): number {
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new ConfigurationError(
      `lease duration must be a positive number of seconds, got ${String(durationSeconds)}`,
    );
  }
  const s = Math.ceil(durationSeconds);
  if (s > MAX_LEASE_SECONDS) {
    throw new ConfigurationError(
      `lease duration ${s} s is too long: at most ${MAX_LEASE_SECONDS} s (Node's timers overflow above 2^31-1 ms); the lease is renewed while held, so a short one (${DEFAULT_LEASE_SECONDS} s) is enough for any run`,
    );
  }
  return s;
}

/** No HTTP answer, or a 5xx: the server may or may not have applied a write. */
function isAmbiguous(e: unknown): e is KubeError {
  return (
    e instanceof KubeError &&
    (e.connection || (e.code !== undefined && e.code >= 500))
  );
}

/**
 * Takes a coordination.k8s.io Lease so two runs against one target never
 * overlap, and keeps renewing it (every third of `durationSeconds`) until
 * released, however long the run takes. A lease whose renewTime + duration
 * has passed is stale and taken over (with resourceVersion, so two takers
 * cannot both win).
 *
 * Acquisition is idempotent: when the create or takeover fails without a
 * clear answer (timeout, dropped connection, 5xx), the write may still have
 * been applied, so the Lease is read again: if its holder is us, it is ours;
 * if it is free, the write is tried again (at most `attempts` times); if
 * someone else holds it, we refuse.
 */
export async function acquireLease(
  kube: Kube,
  opts: {
    namespace: string;
    name: string;
    /** leaseDurationSeconds; default DEFAULT_LEASE_SECONDS (60). */
    durationSeconds?: number;
    holder?: string;
    now: () => Date;
    /** Hears about a renewal that failed, or a lease taken by someone else. */
    onRenewProblem?: (msg: string) => void;
    /** Attempts at the create/takeover after ambiguous failures; default 4. */
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<HeldLease> {
  const durationSeconds = leaseSeconds(
    opts.durationSeconds ?? DEFAULT_LEASE_SECONDS,
  );
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_ACQUIRE_ATTEMPTS);
  const sleep =
    opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const holder = opts.holder ?? `pqc-ops-${randomUUID()}`;
  const { namespace, name } = opts;
  const what = `lease ${namespace}/${name}`;
  const c: LeaseContext = {
    kube,
    namespace,
    name,
    holder,
    durationSeconds,
    what,
    now: opts.now,
    onRenewProblem: opts.onRenewProblem,
    read: () =>
      kube.getOrUndefined(`read ${what}`, () =>
        kube.coordination.readNamespacedLease({ name, namespace }),
      ),
  };
  await takeLease(c, attempts, sleep);
  const stopRenewing = startRenewing(c);
  return {
    name,
    namespace,
    holder,
    durationSeconds,
    release: async () => {
      await stopRenewing();
      await deleteIfOurs(c);
    },
  };
}

/** What the steps of acquiring, renewing and releasing one Lease share. */
interface LeaseContext {
  kube: Kube;
  namespace: string;
  name: string;
  holder: string;
  durationSeconds: number;
  /** `lease <namespace>/<name>`, for messages. */
  what: string;
  now: () => Date;
  onRenewProblem?: (msg: string) => void;
  read: () => Promise<V1Lease | undefined>;
}

// client-node's own MicroTime: a Date whose JSON has the six fraction
// digits (2025-03-07T05:06:07.123000Z) that a Lease's times must have.
function micro(c: LeaseContext): NonNullable<V1LeaseSpec['renewTime']> {
  return new c.kube.lib.V1MicroTime(c.now());
}

function claimSpec(c: LeaseContext): V1LeaseSpec {
  return {
    holderIdentity: c.holder,
    leaseDurationSeconds: c.durationSeconds,
    acquireTime: micro(c),
    renewTime: micro(c),
  };
}

/**
 * Creates the Lease or takes over a stale one, reading it again after a 409
 * or an ambiguous failure (which may have been applied after all).
 */
async function takeLease(
  c: LeaseContext,
  attempts: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  let uncertain: KubeError | undefined;
  for (let attempt = 1; ; attempt++) {
    const existing = await c.read();
    // An earlier attempt that failed ambiguously (or whose retry met a 409)
    // may have been applied after all: then the Lease is already ours.
    if (attempt > 1 && existing?.spec?.holderIdentity === c.holder) break;
    if (attempt > attempts) {
      throw uncertain
        ? new KubeError(
            `${c.what}: could not take it in ${attempts} attempts: ${uncertain.message}`,
            uncertain.code,
            uncertain.reason,
            undefined,
            uncertain.connection,
          )
        : new RefusedError(
            `${c.what} was taken by another run at the same moment; try again later`,
          );
    }
    try {
      await writeClaim(c, existing);
      break;
    } catch (e) {
      // 409: someone (maybe our own earlier attempt) wrote it first; the
      // next read tells which.
      if (e instanceof KubeError && e.code === 409) continue;
      if (!isAmbiguous(e)) throw e;
      uncertain = e;
      await sleep(Math.min(2000, 200 * 2 ** (attempt - 1)));
    }
  }
}

/** One create, or one takeover of a Lease that is not held (no retries). */
async function writeClaim(
  c: LeaseContext,
  existing: V1Lease | undefined,
): Promise<void> {
  const { kube, name, namespace, what } = c;
  if (!existing) {
    await kube.call(
      `create ${what}`,
      () =>
        kube.coordination.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: claimSpec(c) },
        }),
      false,
    );
  } else {
    refuseIfHeld(existing, what, c.now());
    const body: V1Lease = {
      ...existing,
      spec: { ...existing.spec, ...claimSpec(c) },
    };
    await kube.call(
      `take over ${what}`,
      () => kube.coordination.replaceNamespacedLease({ name, namespace, body }),
      false,
    );
  }
}

/**
 * Renews every third of the duration, so a run of any length keeps its
 * claim and a dead one loses it within one duration. Returns the stop, which
 * waits for a renewal under way.
 */
function startRenewing(c: LeaseContext): () => Promise<void> {
  const intervalMs = (c.durationSeconds * 1000) / 3;
  const state = { stopped: false };
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const schedule = (delayMs: number) => {
    if (state.stopped) return;
    timer = setTimeout(() => {
      const started = Date.now();
      inFlight = renewOnce(c, state)
        .catch((e: unknown) => {
          c.onRenewProblem?.(
            `renewing ${c.what}: ${e instanceof Error ? e.message : String(e)}`,
          );
        })
        .finally(() => {
          inFlight = undefined;
          schedule(Math.max(0, intervalMs - (Date.now() - started)));
        });
    }, delayMs);
    timer.unref();
  };
  schedule(intervalMs);
  return async () => {
    state.stopped = true;
    clearTimeout(timer);
    // Let a renewal under way finish, so its write cannot race the delete.
    await inFlight;
  };
}

/** One renewal; a Lease someone else holds stops the renewing. */
async function renewOnce(
  c: LeaseContext,
  state: { stopped: boolean },
): Promise<void> {
  const { kube, name, namespace, what } = c;
  const lost = (cur: V1Lease | undefined) => {
    state.stopped = true;
    c.onRenewProblem?.(
      `${what} was taken over by ${cur?.spec?.holderIdentity ?? 'nobody (it was deleted)'}`,
    );
  };
  const cur = await c.read();
  if (state.stopped) return;
  if (cur?.spec?.holderIdentity !== c.holder) return lost(cur);
  const body: V1Lease = {
    ...cur,
    spec: { ...cur.spec, renewTime: micro(c) },
  };
  try {
    await kube.call(`renew ${what}`, () =>
      kube.coordination.replaceNamespacedLease({ name, namespace, body }),
    );
  } catch (e) {
    if (!(e instanceof KubeError && e.code === 409)) throw e;
    // A retried renewal whose first attempt landed, or a takeover.
    const again = await c.read();
    if (again?.spec?.holderIdentity !== c.holder) lost(again);
  }
}

/** Deletes the Lease if it is still ours. */
async function deleteIfOurs(c: LeaseContext): Promise<void> {
  const { kube, name, namespace, what } = c;
  const cur = await c.read();
  if (cur?.spec?.holderIdentity !== c.holder) return;
  try {
    await kube.call(`release ${what}`, () =>
      kube.coordination.deleteNamespacedLease({
        name,
        namespace,
        // Only the Lease we just read, not one someone took over since.
        body: {
          preconditions: {
            uid: cur.metadata?.uid,
            resourceVersion: cur.metadata?.resourceVersion,
          },
        },
      }),
    );
  } catch (e) {
    // 404: already gone (a retried delete whose first attempt landed).
    // 409: taken over between the read and the delete: not ours to delete.
    if (e instanceof KubeError && (e.code === 404 || e.code === 409)) return;
    throw e;
  }
}

function refuseIfHeld(l: V1Lease, what: string, now: Date): void {
  const holder = l.spec?.holderIdentity;
  if (!holder) return;
  const renew = l.spec?.renewTime ?? l.spec?.acquireTime;
  const renewMs = renew ? new Date(renew).getTime() : 0;
  const expires = renewMs + (l.spec?.leaseDurationSeconds ?? 0) * 1000;
  if (expires > now.getTime()) {
    const left = Math.ceil((expires - now.getTime()) / 1000);
    throw new RefusedError(
      `${what} is held by ${holder} (another run is in progress; it expires in ${left} s if that run died)`,
    );
  }
}
