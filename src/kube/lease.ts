import { randomUUID } from 'node:crypto';
import type { V1Lease } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';
import { RefusedError } from '../errors.js';

/** A held Lease, renewed in the background until `release` deletes our claim. */
export interface HeldLease {
  name: string;
  namespace: string;
  holder: string;
  release(): Promise<void>;
}

/**
 * Takes a coordination.k8s.io Lease so two runs against one target never
 * overlap, and keeps renewing it until released. A lease whose renewTime +
 * duration has passed is stale and taken over (with resourceVersion, so two
 * takers cannot both win).
 */
export async function acquireLease(
  kube: Kube,
  opts: {
    namespace: string;
    name: string;
    durationSeconds: number;
    holder?: string;
    now: () => Date;
    /** Hears about a renewal that failed, or a lease taken by someone else. */
    onRenewProblem?: (msg: string) => void;
  },
): Promise<HeldLease> {
  const holder = opts.holder ?? `pqc-ops-${randomUUID()}`;
  const { namespace, name } = opts;
  const micro = (d: Date) => d.toISOString().replace('Z', '000Z');
  const spec = () => ({
    holderIdentity: holder,
    leaseDurationSeconds: opts.durationSeconds,
    acquireTime: micro(opts.now()) as unknown as Date,
    renewTime: micro(opts.now()) as unknown as Date,
  });
  const what = `lease ${namespace}/${name}`;
  const existing = await kube.getOrUndefined(`read ${what}`, () =>
    kube.coordination.readNamespacedLease({ name, namespace }),
  );
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
  } catch (e) {
    if (e instanceof KubeError && e.code === 409) {
      throw new RefusedError(
        `${what} was taken by another run at the same moment; try again later`,
      );
    }
    throw e;
  }
  // Renew at a third of the duration, so a long run keeps its claim and a
  // dead one loses it within one duration.
  const renew = async () => {
    try {
      const cur = await kube.call(`read ${what}`, () =>
        kube.coordination.readNamespacedLease({ name, namespace }),
      );
      if (cur.spec?.holderIdentity !== holder) {
        clearInterval(timer);
        opts.onRenewProblem?.(
          `${what} was taken over by ${cur.spec?.holderIdentity ?? 'nobody'}`,
        );
        return;
      }
      const body: V1Lease = {
        ...cur,
        spec: { ...cur.spec, renewTime: micro(opts.now()) as unknown as Date },
      };
      await kube.call(`renew ${what}`, () =>
        kube.coordination.replaceNamespacedLease({ name, namespace, body }),
      );
    } catch (e) {
      opts.onRenewProblem?.(
        `renewing ${what}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  const timer = setInterval(
    () => void renew(),
    Math.max(1000, (opts.durationSeconds * 1000) / 3),
  );
  timer.unref();
  return {
    name,
    namespace,
    holder,
    release: async () => {
      clearInterval(timer);
      const cur = await kube.getOrUndefined(`read ${what}`, () =>
        kube.coordination.readNamespacedLease({ name, namespace }),
      );
      if (cur?.spec?.holderIdentity !== holder) return;
      await kube.call(`release ${what}`, () =>
        kube.coordination.deleteNamespacedLease({ name, namespace }),
      );
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
