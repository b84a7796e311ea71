import { errorMessage } from '../errors.js';
import type { Kube } from '../kube/client.js';
import { waitForRollout } from '../kube/rollout.js';
import type { StateRef } from '../plan/plan.js';

/** A Deployment by namespace and name. */
export interface WorkloadRef {
  namespace: string;
  name: string;
}

/** A Deployment's replica count as recorded before anything was changed. */
export interface ReplicaRecord extends WorkloadRef {
  /** "Deployment <ns>/<name>": the object in plans, changes and messages. */
  object: string;
  replicas: number;
  /** The plan's basis for it (uid and generation). */
  ref: StateRef;
}

/** "Deployment <ns>/<name>". */
export function workloadObject(w: WorkloadRef): string {
  return `Deployment ${w.namespace}/${w.name}`;
}

/**
 * Reads each Deployment's `spec.replicas` (and its uid and generation, for a
 * plan's basis). Throws when one is missing: nothing is to be changed then.
 */
export async function recordReplicas(
  kube: Kube,
  workloads: WorkloadRef[],
): Promise<ReplicaRecord[]> {
  const out: ReplicaRecord[] = [];
  for (const w of workloads) {
    const { namespace, name } = w;
    const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
      kube.apps.readNamespacedDeployment({ name, namespace }),
    );
    const object = workloadObject(w);
    const replicas = d.spec?.replicas ?? 1;
    out.push({
      namespace,
      name,
      object,
      replicas,
      ref: {
        object,
        uid: d.metadata?.uid,
        versionKind: 'generation',
        version: String(d.metadata?.generation ?? 0),
        state: `${replicas} replicas`,
      },
    });
  }
  return out;
}

/** Sets a Deployment's replica count through the scale subresource. */
export async function setReplicas(
  kube: Kube,
  w: WorkloadRef,
  replicas: number,
): Promise<void> {
  const { namespace, name } = w;
  await kube.call(`scale ${workloadObject(w)} to ${replicas}`, () =>
    kube.apps.patchNamespacedDeploymentScale(
      { name, namespace, body: { spec: { replicas } } },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.MergePatch,
      ),
    ),
  );
}

/** One replica change made under a guard (including the bring-back). */
export interface ReplicaChange {
  object: string;
  from: number;
  to: number;
  /** true for the guard's own bring-back at the end. */
  bringBack: boolean;
}

/** What the guard brought back at the end, and what it could not. */
export interface BringBack {
  /** Objects scaled back to their recorded count. */
  restored: string[];
  /** Objects already at their recorded count (or released by the body). */
  untouched: string[];
  /** One line per workload that could not be brought back. */
  failed: string[];
  /** One line per workload back at its count but not rolled out (waited only when asked). */
  notReady: string[];
}

/** What the body of a guard may do. */
export interface ReplicaGuard {
  /** Scales a recorded workload (by object or name) to `replicas`. */
  scale(workload: string, replicas: number): Promise<void>;
  /** The recorded workload (by object or name). */
  record(workload: string): ReplicaRecord;
  /**
   * Leaves a workload where the body put it at the end: no bring-back (an
   * incident that must stay at 0 when validation fails).
   */
  release(workload: string): void;
}

/** Options of withReplicasGuarded. */
export interface GuardOptions {
  /** Hears every change, the bring-back's included (record it with its undo). */
  onChange?: (c: ReplicaChange) => void;
  /** Hears the bring-back's outcome, before the guard returns or throws. */
  onBringBack?: (b: BringBack) => void;
  /**
   * Waits, after the bring-back, for each workload brought back to roll out
   * (not when `signal` is aborted: a cancel brings back and leaves at once).
   */
  wait?: {
    timeoutMs: number;
    now: () => Date;
    /** A sleep that a cancel does not cut short is not needed: see signal. */
    sleep: (ms: number) => Promise<void>;
    signal?: AbortSignal;
  };
}

/**
 * Runs `body` with the recorded workloads in its hands and, whatever happens
 * (a throw, a cancel), scales every workload not released back to its
 * recorded count in `finally`. A body that failed keeps its error, with the
 * bring-back's failures added to the message; a bring-back that fails after
 * a good body throws. The scale calls go out even after a cancel (they are
 * single API calls; only their retries wait).
 */
export async function withReplicasGuarded<T>(
  kube: Kube,
  records: ReplicaRecord[],
  body: (g: ReplicaGuard) => Promise<T>,
  opts: GuardOptions = {},
): Promise<T> {
  const find = (w: string): ReplicaRecord => {
    const r = records.find((x) => x.object === w || x.name === w);
    if (!r) throw new Error(`${w} is not a recorded workload`);
    return r;
  };
  const current = new Map(records.map((r) => [r.object, r.replicas]));
  const released = new Set<string>();
  const guard: ReplicaGuard = {
    record: find,
    release: (w) => void released.add(find(w).object),
    async scale(w, replicas) {
      const r = find(w);
      const from = current.get(r.object) ?? r.replicas;
      // Counted as changed before the call: a scale that timed out may
      // still have happened, and the bring-back must then undo it.
      current.set(r.object, replicas);
      await setReplicas(kube, r, replicas);
      opts.onChange?.({
        object: r.object,
        from,
        to: replicas,
        bringBack: false,
      });
    },
  };
  let failure: { e: unknown } | undefined;
  let value: T | undefined;
  try {
    value = await body(guard);
  } catch (e) {
    failure = { e };
  }
  const back = await bringBack(kube, records, current, released, opts);
  opts.onBringBack?.(back);
  const problems = [...back.failed, ...back.notReady];
  if (failure) {
    if (problems.length === 0) throw failure.e;
    throw new Error(
      `${errorMessage(failure.e)}; and bringing the workloads back failed: ${problems.join('; ')}`,
      { cause: failure.e },
    );
  }
  if (problems.length > 0)
    throw new Error(
      `bringing the workloads back failed: ${problems.join('; ')}`,
    );
  return value as T;
}

async function bringBack(
  kube: Kube,
  records: ReplicaRecord[],
  current: Map<string, number>,
  released: Set<string>,
  opts: GuardOptions,
): Promise<BringBack> {
  const out: BringBack = {
    restored: [],
    untouched: [],
    failed: [],
    notReady: [],
  };
  const moved: ReplicaRecord[] = [];
  for (const r of records) {
    if (released.has(r.object)) {
      out.untouched.push(r.object);
      continue;
    }
    try {
      // Read live: a scale that failed or timed out may have happened anyway.
      const live = await recordReplicas(kube, [r]);
      const now = live[0]?.replicas ?? r.replicas;
      if (now === r.replicas) {
        out.untouched.push(r.object);
        if (current.get(r.object) !== r.replicas) moved.push(r);
        continue;
      }
      await setReplicas(kube, r, r.replicas);
      current.set(r.object, r.replicas);
      out.restored.push(r.object);
      moved.push(r);
      opts.onChange?.({
        object: r.object,
        from: now,
        to: r.replicas,
        bringBack: true,
      });
    } catch (e) {
      out.failed.push(
        `${r.object} (back to ${r.replicas}): ${errorMessage(e)}`,
      );
    }
  }
  const w = opts.wait;
  if (w && !w.signal?.aborted) {
    for (const r of moved) {
      const st = await waitForRollout(kube, r.namespace, r.name, {
        timeoutMs: w.timeoutMs,
        now: w.now,
        sleep: w.sleep,
        intervalMs: 500,
      }).catch((e: unknown) => ({ done: false, message: errorMessage(e) }));
      if (!st.done) out.notReady.push(`${r.object}: ${st.message}`);
    }
  }
  return out;
}
