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
  // client-node's own MicroTime: a Date whose JSON has the six fraction
  // digits (2025-03-07T05:06:07.123000Z) that a Lease's times must have.
  const micro = () => new kube.lib.V1MicroTime(opts.now());
  const spec = (): V1LeaseSpec => ({
    holderIdentity: holder,
    leaseDurationSeconds: durationSeconds,
    acquireTime: micro(),
    renewTime: micro(),
  });
  const what = `lease ${namespace}/${name}`;
  const read = () =>
    kube.getOrUndefined(`read ${what}`, () =>
      kube.coordination.readNamespacedLease({ name, namespace }),
    );

  let uncertain: KubeError | undefined;
  for (let attempt = 1; ; attempt++) {
    const existing = await read();
    // An earlier attempt that failed ambiguously (or whose retry met a 409)
    // may have been applied after all: then the Lease is already ours.
    if (attempt > 1 && existing?.spec?.holderIdentity === holder) break;
    if (attempt > attempts) {
      throw uncertain
        ? new KubeError(
            `${what}: could not take it in ${attempts} attempts: ${uncertain.message}`,
            uncertain.code,
            uncertain.reason,
            undefined,
            uncertain.connection,
          )
        : new RefusedError(
            `${what} was taken by another run at the same moment; try again later`,
          );
    }
    try {
      if (!existing) {
        await kube.call(
          `create ${what}`,
          () =>
            kube.coordination.createNamespacedLease({
              namespace,
              body: { metadata: { name, namespace }, spec: spec() },
            }),
          false,
        );
      } else {
        refuseIfHeld(existing, what, opts.now());
        const body: V1Lease = {
          ...existing,
          spec: { ...existing.spec, ...spec() },
        };
        await kube.call(
          `take over ${what}`,
          () =>
            kube.coordination.replaceNamespacedLease({ name, namespace, body }),
          false,
        );
      }
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

  // Renew every third of the duration, so a run of any length keeps its
  // claim and a dead one loses it within one duration.
  const intervalMs = (durationSeconds * 1000) / 3;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const lost = (cur: V1Lease | undefined) => {
    stopped = true;
    opts.onRenewProblem?.(
      `${what} was taken over by ${cur?.spec?.holderIdentity ?? 'nobody (it was deleted)'}`,
    );
  };
  const renew = async () => {
    const cur = await read();
    if (stopped) return;
    if (cur?.spec?.holderIdentity !== holder) return lost(cur);
    const body: V1Lease = {
      ...cur,
      spec: { ...cur.spec, renewTime: micro() },
    };
    try {
      await kube.call(`renew ${what}`, () =>
        kube.coordination.replaceNamespacedLease({ name, namespace, body }),
      );
    } catch (e) {
      if (!(e instanceof KubeError && e.code === 409)) throw e;
      // A retried renewal whose first attempt landed, or a takeover.
      const again = await read();
      if (again?.spec?.holderIdentity !== holder) lost(again);
    }
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = Date.now();
      inFlight = renew()
        .catch((e: unknown) => {
          opts.onRenewProblem?.(
            `renewing ${what}: ${e instanceof Error ? e.message : String(e)}`,
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

  return {
    name,
    namespace,
    holder,
    durationSeconds,
    release: async () => {
      stopped = true;
      clearTimeout(timer);
      // Let a renewal under way finish, so its write cannot race the delete.
      await inFlight;
      const cur = await read();
      if (cur?.spec?.holderIdentity !== holder) return;
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
        if (e instanceof KubeError && (e.code === 404 || e.code === 409))
          return;
        throw e;
      }
    },
  };
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
