import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { PodRunner } from '../../kube/exec.js';
import type { PlannedChange } from '../../plan/plan.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { vacuumAnalyze } from '../../postgres/vacuum.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { HousekeepingOptions } from './inputs.js';
import type { FileParams } from './mutation.js';
import {
  deleteFiles,
  gzipFiles,
  statPaths,
  testGzip,
  type FileEntry,
} from './pod-files.js';
import type { FileOutcome, HousekeepingState } from './state.js';

/** The complaint of a tool that names this path, if any. */
function complaintFor(problems: string[], path: string): string | undefined {
  return problems.find((l) => l.includes(path));
}

/**
 * Applies one pod's planned file changes: the files that moved since the
 * plan are skipped; the rest gzipped (one batch) and deleted (one batch);
 * then every file is read again: a compressed file must be gone with its
 * .gz present and passing gzip -t, a deleted file gone. Never throws: a pod
 * whose exec fails has its files reported failed, the other pods go on.
 */
export async function applyPod(
  kube: Kube,
  o: HousekeepingOptions,
  pod: string,
  changes: PlannedChange[],
  skip: ReadonlyMap<string, string>,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: HousekeepingState,
): Promise<void> {
  const podError = state.podErrors.get(pod);
  const todo: Planned[] = [];
  for (const c of changes) {
    const p = c.params as unknown as FileParams;
    const moved = skip.get(c.object);
    if (podError)
      outcome(state, p, 'failed', `exec in pod ${pod} failed: ${podError}`);
    else if (moved)
      outcome(state, p, 'skipped', `changed since the plan: ${moved}`);
    else todo.push({ c, p });
  }
  const first = todo[0]?.p;
  if (!first) return;
  const runner = new PodRunner(kube, o.namespace, pod, first.container);
  await ctx.log.group(`Apply in ${runner.where}`, async () => {
    try {
      const { after, problems } = await changeFiles(runner, todo, o);
      for (const f of todo) settle(f, after, problems, rb, state);
    } catch (e) {
      // A cancel closes the exec: that is the run ending, not the pod failing.
      if (ctx.signal.aborted) throw e;
      const why = errorMessage(e);
      state.podErrors.set(pod, why);
      const known = new Set(
        state.outcomes.filter((x) => x.pod === pod).map((x) => x.path),
      );
      for (const { p } of todo)
        if (!known.has(p.path))
          outcome(
            state,
            p,
            'failed',
            `exec in pod ${pod} failed: ${why} (state of the file unknown)`,
          );
    }
  });
}

interface Planned {
  c: PlannedChange;
  p: FileParams;
}

function outcome(
  state: HousekeepingState,
  p: FileParams,
  status: FileOutcome['status'],
  why?: string,
  gzSize?: number,
): void {
  state.outcomes.push({
    pod: p.pod,
    path: p.path,
    op: p.op,
    size: p.size,
    status,
    ...(why ? { why } : {}),
    ...(gzSize !== undefined ? { gzSize } : {}),
  });
}

/** How one file ended, read from the state after and the tools' complaints. */
function settle(
  { c, p }: Planned,
  after: Map<string, FileEntry>,
  problems: string[],
  rb: ResultBuilder,
  state: HousekeepingState,
): void {
  const gzPath = `${p.path}.gz`;
  const done =
    p.op === 'gzip'
      ? !after.has(p.path) &&
        after.has(gzPath) &&
        !complaintFor(problems, gzPath)
      : !after.has(p.path);
  if (!done) {
    const why =
      complaintFor(problems, p.path) ?? 'still there after the change';
    outcome(state, p, 'failed', why);
    return;
  }
  const gzSize = after.get(gzPath)?.size ?? 0;
  outcome(state, p, 'done', undefined, p.op === 'gzip' ? gzSize : undefined);
  rb.change(
    p.op === 'gzip'
      ? `gzip ${p.path} (${p.size} -> ${gzSize} bytes, gzip -t ok)`
      : `deleted ${p.path} (${p.size} bytes)`,
    c.object,
    c.undo,
  );
}

/**
 * gzip one batch, delete one batch, then read every path again and test
 * the new archives: the state after, and every complaint of the tools.
 */
async function changeFiles(
  runner: PodRunner,
  todo: { p: FileParams }[],
  o: HousekeepingOptions,
): Promise<{ after: Map<string, FileEntry>; problems: string[] }> {
  const gz = todo.filter(({ p }) => p.op === 'gzip').map(({ p }) => p.path);
  const del = todo.filter(({ p }) => p.op === 'delete').map(({ p }) => p.path);
  const problems = [
    ...(await gzipFiles(runner, gz, o.execTimeout)),
    ...(await deleteFiles(runner, del, o.execTimeout)),
  ];
  const after = await statPaths(
    runner,
    [...gz.flatMap((f) => [f, `${f}.gz`]), ...del],
    o.execTimeout,
  );
  const compressed = gz.filter((f) => !after.has(f) && after.has(`${f}.gz`));
  problems.push(
    ...(await testGzip(
      runner,
      compressed.map((f) => `${f}.gz`),
      o.execTimeout,
    )),
  );
  return { after, problems };
}

/** Runs the planned VACUUM (ANALYZE) unless the database moved since the plan. */
export async function runVacuum(
  change: PlannedChange,
  skip: ReadonlyMap<string, string>,
  database: () => Promise<PgEndpoint>,
  o: HousekeepingOptions,
  rb: ResultBuilder,
  state: HousekeepingState,
  signal: AbortSignal,
): Promise<void> {
  const moved = skip.get(change.object);
  if (moved) {
    state.vacuumError ??= `not run: ${moved}`;
    return;
  }
  try {
    state.vacuum = await vacuumAnalyze(await database(), o.execTimeout);
    const before = state.vacuum.before.tables.reduce((n, t) => n + t.dead, 0);
    const after = state.vacuum.after.tables.reduce((n, t) => n + t.dead, 0);
    state.vacuumError = undefined;
    rb.change(
      `VACUUM (ANALYZE): dead tuples ${before} -> ${after} in ${(state.vacuum.ms / 1000).toFixed(1)} s`,
      change.object,
      change.undo,
    );
  } catch (e) {
    if (signal.aborted) throw e;
    state.vacuumError = errorMessage(e);
  }
}
