import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { readFileCapped } from '../../process/read-file.js';
import type { Status, StepResult } from '../../report/step-result.js';

/** A file that looked like a result but could not be read as one. */
export interface Unreadable {
  path: string;
  why: string;
}

/** Every result found, oldest first, and the files that were not results. */
export interface Collected {
  results: StepResult[];
  unreadable: Unreadable[];
  /** Folders given that do not exist (an artifact that was never uploaded). */
  missing: string[];
}

/** The procedure whose own earlier records are never part of a log. */
export const SELF = 'maintenance-log';

const STATUSES: readonly Status[] = ['ok', 'warning', 'failed', 'skipped'];
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 12;
const MAX_FILES = 5000;

/**
 * Reads every `*.json` under the folders (recursively: downloaded artifacts
 * nest folders), once each even when folders overlap. Plans (`kind: Plan`)
 * are passed over; anything else that is not a StepResult is reported in
 * `unreadable`, never thrown. The log's own earlier records are left out.
 */
export async function collectResults(dirs: string[]): Promise<Collected> {
  const seenFiles = new Set<string>();
  const seenRecords = new Set<string>();
  const out: Collected = { results: [], unreadable: [], missing: [] };
  for (const dir of dirs) {
    const files = await jsonFiles(dir, out);
    for (const f of files) {
      const real = await realpath(f).catch(() => f);
      if (seenFiles.has(real)) continue;
      seenFiles.add(real);
      const r = await readResult(f);
      if (r === 'plan') continue;
      if ('why' in r) {
        out.unreadable.push(r);
        continue;
      }
      if (r.procedure === SELF) continue;
      // The same record downloaded twice (two artifacts, or this job's own).
      const key = `${r.procedure}\0${r.startedAt}\0${r.endedAt}\0${r.summary}`;
      if (seenRecords.has(key)) continue;
      seenRecords.add(key);
      out.results.push(r);
    }
  }
  out.results.sort(
    (a, b) =>
      Date.parse(a.startedAt) - Date.parse(b.startedAt) ||
      Date.parse(a.endedAt) - Date.parse(b.endedAt),
  );
  return out;
}

async function jsonFiles(root: string, out: Collected): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      out.unreadable.push({ path: dir, why: errorMessage(e) });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (found.length >= MAX_FILES) return;
      const p = join(dir, e.name);
      // Symbolic links are not followed: no loops, nothing outside the folder.
      if (e.isDirectory() && depth < MAX_DEPTH) await walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.json')) found.push(p);
    }
  };
  // The folder itself may be a link (a runner's temp dir); links inside are not followed.
  const st = await stat(root).catch(() => undefined);
  if (!st) out.missing.push(root);
  else if (!st.isDirectory())
    out.unreadable.push({ path: root, why: 'not a directory' });
  else await walk(root, 0);
  return found;
}

async function readResult(
  path: string,
): Promise<StepResult | Unreadable | 'plan'> {
  let v: unknown;
  try {
    v = JSON.parse(await readFileCapped(path, MAX_FILE_BYTES, 'result file'));
  } catch (e) {
    return { path, why: errorMessage(e) };
  }
  if (v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'Plan')
    return 'plan';
  const why = notAResult(v);
  return why ? { path, why } : normalize(v as StepResult);
}

/** Why `v` is not a StepResult, or undefined when it is one. */
function notAResult(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    return 'not a StepResult (not a JSON object)';
  const r = v as Record<string, unknown>;
  for (const k of ['procedure', 'summary', 'startedAt', 'endedAt'])
    if (typeof r[k] !== 'string') return `not a StepResult (no ${k})`;
  if (!STATUSES.includes(r['status'] as Status))
    return 'not a StepResult (no valid status)';
  for (const k of ['startedAt', 'endedAt'])
    if (Number.isNaN(Date.parse(r[k] as string)))
      return `not a StepResult (${k} is not a time)`;
  for (const k of ['checks', 'changes', 'artifacts', 'followUps'])
    if (r[k] !== undefined && !Array.isArray(r[k]))
      return `not a StepResult (${k} is not a list)`;
  return undefined;
}

const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : v === undefined || v === null
        ? ''
        : JSON.stringify(v);

/** Fills what an older or hand-written record leaves out; coerces text fields. */
function normalize(r: StepResult): StepResult {
  const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
  return {
    procedure: r.procedure,
    status: r.status,
    summary: r.summary,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    target:
      r.target && typeof r.target === 'object'
        ? Object.fromEntries(
            Object.entries(r.target).map(([k, v]) => [k, str(v)]),
          )
        : {},
    checks: list(r.checks).map((c) => ({
      name: str(c?.name),
      status: STATUSES.includes(c?.status) ? c.status : 'warning',
      observed: str(c?.observed),
      threshold: c?.threshold === undefined ? undefined : str(c.threshold),
      detail: c?.detail === undefined ? undefined : str(c.detail),
    })),
    changes: list(r.changes).map((c) => ({
      what: str(c?.what),
      where: str(c?.where),
      undo: str(c?.undo),
      at: str(c?.at),
    })),
    metrics: r.metrics && typeof r.metrics === 'object' ? { ...r.metrics } : {},
    artifacts: list(r.artifacts).map((a) => ({
      path: str(a?.path),
      sha256: str(a?.sha256),
      size: Number(a?.size) || 0,
    })),
    followUps: list(r.followUps).map(str),
    details: list(r.details).map(str),
    ...(Array.isArray(r.timeline)
      ? {
          timeline: r.timeline.map((e) => ({
            at: str(e?.at),
            actor: str(e?.actor),
            what: str(e?.what),
          })),
        }
      : {}),
  };
}
