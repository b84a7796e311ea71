import type { FileEntry } from './pod-files.js';

/** What housekeeping does to one file. */
export type FileOp = 'gzip' | 'delete';

/** One file planned for a change, with the baseline apply compares. */
export interface FileAction {
  op: FileOp;
  path: string;
  size: number;
  /** find's %T@ text: the exact modification time seen by the plan. */
  mtime: string;
  ageMs: number;
  /** Which rule picked it: "compress-after 7d". */
  rule: string;
}

/** A file the rules would have picked but that is left alone, and why. */
export interface FileNote {
  path: string;
  why: string;
}

/** The rules, in milliseconds. */
export interface Rules {
  logPath: string;
  compressAfter: number;
  deleteAfter: number;
  tempPath: string;
  tempMaxAge: number;
}

/** Age of an entry at `now`, from its %T@ text. */
export function ageOf(e: FileEntry, now: number): number {
  return now - Math.floor(Number(e.mtime) * 1000);
}

const days = (ms: number) => `${(ms / 86_400_000).toFixed(1)} d`;

/**
 * The log rules: `*.log` older than compress-after is gzipped (unless its
 * .gz already exists), `*.log.gz` older than delete-after is deleted. Only
 * regular files; a symlink with such a name is noted, never followed.
 * "Older than" is strict, on the exact modification time (not find's
 * -mtime, which counts whole days: -mtime +7 means 8 days or more).
 */
export function selectLogs(
  entries: FileEntry[],
  r: Rules,
  now: number,
  ruleText: { compress: string; delete: string },
): { actions: FileAction[]; notes: FileNote[] } {
  const actions: FileAction[] = [];
  const notes: FileNote[] = [];
  const present = new Set(entries.map((e) => e.path));
  for (const e of entries) {
    const isLog = e.path.endsWith('.log');
    const isGz = e.path.endsWith('.log.gz');
    if (!isLog && !isGz) continue;
    const age = ageOf(e, now);
    const limit = isLog ? r.compressAfter : r.deleteAfter;
    if (age <= limit) continue;
    if (e.type === 'l') {
      notes.push({
        path: e.path,
        why: 'a symbolic link: not followed, left alone',
      });
      continue;
    }
    if (e.type !== 'f') continue;
    if (isLog && present.has(`${e.path}.gz`)) {
      notes.push({
        path: e.path,
        why: `${days(age)} old, but ${e.path}.gz already exists: not compressed (gzip would not overwrite it)`,
      });
      continue;
    }
    actions.push({
      op: isLog ? 'gzip' : 'delete',
      path: e.path,
      size: e.size,
      mtime: e.mtime,
      ageMs: age,
      rule: isLog ? ruleText.compress : ruleText.delete,
    });
  }
  return { actions, notes };
}

/** The temp rule: every regular file under temp-path older than temp-max-age. */
export function selectTemp(
  entries: FileEntry[],
  r: Rules,
  now: number,
  ruleText: string,
): { actions: FileAction[]; notes: FileNote[] } {
  const actions: FileAction[] = [];
  const notes: FileNote[] = [];
  for (const e of entries) {
    const age = ageOf(e, now);
    if (age <= r.tempMaxAge) continue;
    if (e.type === 'l') {
      notes.push({
        path: e.path,
        why: 'a symbolic link: not followed, left alone',
      });
      continue;
    }
    if (e.type !== 'f') continue;
    actions.push({
      op: 'delete',
      path: e.path,
      size: e.size,
      mtime: e.mtime,
      ageMs: age,
      rule: ruleText,
    });
  }
  return { actions, notes };
}

/** Whether one directory is the other or lies below it. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
