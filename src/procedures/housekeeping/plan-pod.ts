import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import { formatDuration } from '../../inputs/parsers.js';
import type { Kube } from '../../kube/client.js';
import { PodRunner } from '../../kube/exec.js';
import type { ProcedureContext } from '../../procedure.js';
import type { HousekeepingOptions } from './inputs.js';
import { checkTools, scanDir, type Scan } from './pod-files.js';
import {
  selectLogs,
  selectTemp,
  type FileAction,
  type FileNote,
} from './select.js';

/** One directory of one pod as the plan found it. */
export interface RootScan {
  path: string;
  /** `absent`, or find's type letter of the path itself (d, l, ...). */
  found: string;
  entries: number;
  problems: string[];
}

/** What the plan found in one pod. */
export interface PodPlan {
  pod: string;
  uid: string;
  container: string;
  /** The tools found ("GNU find 4.9.0, gzip 1.12"). */
  tools?: string;
  /** Why this pod could not be planned (tools missing, exec failed). */
  error?: string;
  roots: RootScan[];
  actions: FileAction[];
  notes: FileNote[];
}

/**
 * Plans one pod: checks its tools first, then lists both directories and
 * picks the files by the rules. Changes nothing; never throws (a pod that
 * cannot be read is reported with its error, the other pods are planned).
 */
export async function planPod(
  kube: Kube,
  pod: V1Pod,
  o: HousekeepingOptions,
  ctx: ProcedureContext,
): Promise<PodPlan> {
  const name = pod.metadata?.name ?? '';
  const container = o.container || pod.spec?.containers[0]?.name || '';
  const p: PodPlan = {
    pod: name,
    uid: pod.metadata?.uid ?? '',
    container,
    roots: [],
    actions: [],
    notes: [],
  };
  if (!pod.spec?.containers.some((c) => c.name === container)) {
    p.error = `has no container "${container}" (containers: ${pod.spec?.containers.map((c) => c.name).join(', ') || 'none'})`;
    return p;
  }
  const runner = new PodRunner(kube, o.namespace, name, container);
  return ctx.log.group(`Files in ${runner.where}`, async () => {
    try {
      const tools = await checkTools(runner, o.execTimeout);
      if (!tools.ok) {
        p.error = tools.message;
        return p;
      }
      p.tools = tools.message;
      const now = ctx.now().getTime();
      const rules = {
        logPath: o.logPath,
        compressAfter: o.compressAfter,
        deleteAfter: o.deleteAfter,
        tempPath: o.tempPath,
        tempMaxAge: o.tempMaxAge,
      };
      const logs = await scanRoot(runner, o.logPath, o.execTimeout, p);
      const logSel = selectLogs(logs.entries, rules, now, {
        compress: `compress-after ${formatDuration(o.compressAfter)}`,
        delete: `delete-after ${formatDuration(o.deleteAfter)}`,
      });
      const temp = await scanRoot(runner, o.tempPath, o.execTimeout, p);
      const tempSel = selectTemp(
        temp.entries,
        rules,
        now,
        `temp-max-age ${formatDuration(o.tempMaxAge)}`,
      );
      // Oldest first, so that a run capped at MAX_FILES takes the oldest.
      p.actions = [...logSel.actions, ...tempSel.actions].sort(
        (a, b) => b.ageMs - a.ageMs || a.path.localeCompare(b.path),
      );
      p.notes = [...logSel.notes, ...tempSel.notes];
      ctx.log.info(
        `${name}: ${p.actions.filter((a) => a.op === 'gzip').length} to compress, ${p.actions.filter((a) => a.op === 'delete').length} to delete, ${p.notes.length} left alone`,
      );
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      p.error = errorMessage(e);
    }
    return p;
  });
}

async function scanRoot(
  runner: PodRunner,
  root: string,
  timeoutMs: number,
  p: PodPlan,
): Promise<Scan> {
  const s = await scanDir(runner, root, timeoutMs);
  p.roots.push({
    path: root,
    found: s.rootType ?? 'absent',
    entries: s.entries.length,
    problems: s.problems,
  });
  if (s.rootType === undefined || s.rootType === 'd') return s;
  p.notes.push({
    path: root,
    why:
      s.rootType === 'l'
        ? 'is a symbolic link: not followed, nothing under it touched'
        : 'is not a directory: nothing touched',
  });
  return { ...s, entries: [] };
}
