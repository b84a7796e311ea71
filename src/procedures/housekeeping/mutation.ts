import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import { formatDuration } from '../../inputs/parsers.js';
import type { Kube } from '../../kube/client.js';
import { holdLease } from '../../kube/connect.js';
import { PodRunner } from '../../kube/exec.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange, StateRef } from '../../plan/plan.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { readTupleStats } from '../../postgres/vacuum.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { HousekeepingOptions } from './inputs.js';
import { statPaths, type FileEntry } from './pod-files.js';
import { applyPod, runVacuum } from './apply.js';
import { planPod, type PodPlan } from './plan-pod.js';
import type { FileAction } from './select.js';
import type { HousekeepingState } from './state.js';

/** A planned file change's parameters, as the plan file carries them. */
export interface FileParams {
  kind: 'file';
  pod: string;
  podUid: string;
  container: string;
  op: FileAction['op'];
  path: string;
  size: number;
  mtime: string;
}

/** The planned VACUUM's parameters. */
export interface VacuumParams {
  kind: 'vacuum';
  database: string;
  oid: string;
}

/** At most this many files per run: a plan stays well under its size limit. */
export const MAX_FILES = 5000;

export const fileObject = (ns: string, pod: string, path: string) =>
  `file ${ns}/${pod}:${path}`;

const NO_UNDO_DELETE =
  "cannot be undone: the file is deleted (only a backup of the pod's volume has it)";
const VACUUM_UNDO =
  'nothing to undo: VACUUM only reclaims dead row versions and refreshes planner statistics; no row changes';

/** The file's state as the plan's basis and the drift check see it. */
export function fileRef(
  ns: string,
  pod: string,
  podUid: string,
  e: Pick<FileEntry, 'path' | 'size' | 'mtime' | 'type'>,
): StateRef {
  const ms = Math.floor(Number(e.mtime) * 1000);
  return {
    object: fileObject(ns, pod, e.path),
    uid: podUid,
    versionKind: 'value',
    version: `${e.type}:${e.size}@${e.mtime}`,
    state: `${e.size} bytes, modified ${Number.isFinite(ms) ? new Date(ms).toISOString() : e.mtime}`,
    onDrift: 'skip',
  };
}

function fileChange(ns: string, p: PodPlan, a: FileAction): PlannedChange {
  const age = `${(a.ageMs / 86_400_000).toFixed(1)} days old`;
  return {
    object: fileObject(ns, p.pod, a.path),
    action:
      a.op === 'gzip'
        ? `gzip (${a.size} bytes, ${age})`
        : `delete (${a.size} bytes, ${age})`,
    reason: `older than ${a.rule}`,
    undo:
      a.op === 'gzip'
        ? `gunzip ${a.path}.gz (same content; gzip keeps the modification time)`
        : NO_UNDO_DELETE,
    params: {
      kind: 'file',
      pod: p.pod,
      podUid: p.uid,
      container: p.container,
      op: a.op,
      path: a.path,
      size: a.size,
      mtime: a.mtime,
    } satisfies FileParams,
  };
}

/** What the mutation needs besides the options. */
export interface HousekeepingDeps {
  kube: Kube;
  /** The pods to clean, resolved from pod or selector. */
  pods: () => Promise<V1Pod[]>;
  /** The database endpoint, when vacuum is on and a source is given. */
  database?: () => Promise<PgEndpoint>;
}

/**
 * housekeeping under change control: the plan lists every file (with its
 * size and modification time as the baseline) and the VACUUM; apply re-reads
 * every file, skips and reports the ones that changed, and does the rest.
 */
export function housekeepingMutation(
  o: HousekeepingOptions,
  deps: HousekeepingDeps,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: HousekeepingState,
): Mutation {
  const { kube } = deps;
  const ns = o.namespace;
  return {
    procedure: 'housekeeping',
    target: {
      server: kube.server,
      namespaces: [ns],
      ...(o.vacuum && deps.database ? { database: o.database } : {}),
      pods: o.pod ? `pod ${o.pod}` : `selector ${o.selector}`,
      container: o.container ?? null,
      logPath: o.logPath,
      compressAfter: formatDuration(o.compressAfter),
      deleteAfter: formatDuration(o.deleteAfter),
      tempPath: o.tempPath,
      tempMaxAge: formatDuration(o.tempMaxAge),
      vacuum: o.vacuum,
    },
    makePlan: () => planAll(o, deps, ctx, state),
    async liveState(plan: Plan) {
      return readLive(kube, o, deps, plan, state, ctx.signal);
    },
    async execute(plan: Plan, skip: ReadonlyMap<string, string>) {
      const byPod = new Map<string, PlannedChange[]>();
      for (const c of plan.changes) {
        const p = c.params as unknown as FileParams | VacuumParams;
        if (p.kind !== 'file') continue;
        byPod.set(p.pod, [...(byPod.get(p.pod) ?? []), c]);
      }
      for (const [pod, changes] of byPod)
        await applyPod(kube, o, pod, changes, skip, ctx, rb, state);
      const v = plan.changes.find((c) => c.params?.['kind'] === 'vacuum');
      if (v && deps.database)
        await runVacuum(v, skip, deps.database, o, rb, state, ctx.signal);
    },
    async verify() {
      // Each pod's files are re-read right after their changes (applyPod):
      // gone, or replaced by a .gz that passes gzip -t.
    },
    async lock() {
      const lease = await holdLease(kube, ctx, {
        namespace: ns,
        name: o.lockName,
      });
      rb.check({
        name: 'lock',
        status: 'ok',
        observed: `holding Lease ${ns}/${o.lockName}`,
      });
      return lease.release;
    },
  };
}

/** The plan: every pod's files, then the VACUUM. */
async function planAll(
  o: HousekeepingOptions,
  deps: HousekeepingDeps,
  ctx: ProcedureContext,
  state: HousekeepingState,
): Promise<{ basis: StateRef[]; changes: PlannedChange[] }> {
  const ns = o.namespace;
  const basis: StateRef[] = [];
  const changes: PlannedChange[] = [];
  for (const pod of await deps.pods()) {
    const p = await planPod(deps.kube, pod, o, ctx);
    state.pods.push(p);
    for (const a of p.actions) {
      if (changes.length >= MAX_FILES) {
        state.deferred += 1;
        continue;
      }
      basis.push(fileRef(ns, p.pod, p.uid, { ...a, type: 'f' }));
      changes.push(fileChange(ns, p, a));
    }
  }
  if (o.vacuum && deps.database) {
    try {
      const v = await planVacuum(await deps.database(), o, state);
      basis.push(v.ref);
      changes.push(v.change);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      state.vacuumError = errorMessage(e);
    }
  }
  return { basis, changes };
}

async function planVacuum(
  ep: PgEndpoint,
  o: HousekeepingOptions,
  state: HousekeepingState,
): Promise<{ ref: StateRef; change: PlannedChange }> {
  const stats = await readTupleStats(ep, o.execTimeout);
  state.vacuumPlan = stats;
  const dead = stats.tables.reduce((n, t) => n + t.dead, 0);
  const object = `database ${ep.database}`;
  return {
    ref: {
      object,
      versionKind: 'value',
      version: stats.oid,
      state: `oid ${stats.oid}`,
      onDrift: 'skip',
    },
    change: {
      object,
      action: 'VACUUM (ANALYZE)',
      reason: `${dead} dead tuple(s) in ${stats.tables.filter((t) => t.dead > 0).length} of ${stats.tables.length} table(s); planner statistics refreshed`,
      undo: VACUUM_UNDO,
      params: {
        kind: 'vacuum',
        database: ep.database,
        oid: stats.oid,
      } satisfies VacuumParams,
    },
  };
}

/**
 * The live state of every planned file (one find per pod, symlinks not
 * followed) and of the database. A pod that is gone, or replaced, has no
 * files any more; a pod whose exec fails has its files marked unreadable.
 */
async function readLive(
  kube: Kube,
  o: HousekeepingOptions,
  deps: HousekeepingDeps,
  plan: Plan,
  state: HousekeepingState,
  signal: AbortSignal,
): Promise<StateRef[]> {
  const ns = o.namespace;
  const byPod = new Map<string, FileParams[]>();
  for (const c of plan.changes) {
    const p = c.params as unknown as FileParams | VacuumParams;
    if (p.kind === 'file') byPod.set(p.pod, [...(byPod.get(p.pod) ?? []), p]);
  }
  const out: StateRef[] = [];
  for (const [pod, files] of byPod) {
    const first = files[0];
    if (!first) continue;
    const live = await kube.getOrUndefined(`read pod ${ns}/${pod}`, () =>
      kube.core.readNamespacedPod({ name: pod, namespace: ns }),
    );
    if (!live || live.metadata?.uid !== first.podUid) continue;
    const runner = new PodRunner(kube, ns, pod, first.container);
    try {
      const now = await statPaths(
        runner,
        files.map((f) => f.path),
        o.execTimeout,
      );
      for (const e of now.values()) out.push(fileRef(ns, pod, first.podUid, e));
    } catch (e) {
      if (signal.aborted) throw e;
      const why = errorMessage(e);
      state.podErrors.set(pod, why);
      for (const f of files)
        out.push({
          ...fileRef(ns, pod, first.podUid, { ...f, type: 'f' }),
          version: 'unreadable',
          state: `unreadable: ${why}`,
        });
    }
  }
  const v = plan.changes.find((c) => c.params?.['kind'] === 'vacuum');
  if (v && deps.database) {
    try {
      const stats = await readTupleStats(await deps.database(), o.execTimeout);
      out.push({
        object: v.object,
        versionKind: 'value',
        version: stats.oid,
        state: `oid ${stats.oid}`,
        onDrift: 'skip',
      });
    } catch (e) {
      if (signal.aborted) throw e;
      state.vacuumError = errorMessage(e);
      out.push({
        object: v.object,
        versionKind: 'value',
        version: 'unreachable',
        state: `unreachable: ${state.vacuumError}`,
      });
    }
  }
  return out;
}
