import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isFromTheFuture,
  parseArchiveName,
  temporaryOf,
  type Compression,
} from './naming.js';

/** An archive of a prefix found in a directory. */
export interface FoundArchive {
  name: string;
  path: string;
  /** The time in its name. */
  at: Date;
  encrypted: boolean;
  compression: Compression;
}

/**
 * Every archive of `prefix` in `dir` (exact names only, non-empty regular
 * files), newest first by the time in the name.
 */
export async function listArchives(
  dir: string,
  prefix: string,
): Promise<FoundArchive[]> {
  const out: FoundArchive[] = [];
  for (const name of await readdir(dir)) {
    const p = parseArchiveName(prefix, name);
    if (!p) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile() || st.size === 0) continue;
    out.push({ name, path, ...p });
  }
  return out.sort(
    (a, b) => b.at.getTime() - a.at.getTime() || b.name.localeCompare(a.name),
  );
}

/**
 * Splits archives (newest first) into those whose name's time is believable
 * and those from the future (more than MAX_CLOCK_SKEW_MS ahead of `now`).
 */
export function splitFuture(
  archives: FoundArchive[],
  now: Date,
): { trusted: FoundArchive[]; future: FoundArchive[] } {
  const trusted: FoundArchive[] = [];
  const future: FoundArchive[] = [];
  for (const a of archives)
    (isFromTheFuture(a.at, now) ? future : trusted).push(a);
  return { trusted, future };
}

/** What retention decided. */
export interface RetentionPlan {
  keep: FoundArchive[];
  expired: FoundArchive[];
  /**
   * Archives named with a time from the future: not trusted, so they neither
   * take one of the `keepLast` places nor expire. Kept, and to be reported.
   */
  future: FoundArchive[];
}

/**
 * Archives older than `retentionDays` (0 = never expire), except the newest
 * `keepLast` trusted ones, which are kept whatever their age. Archives named
 * from the future are set apart (neither kept as newest nor deleted).
 */
export function planRetention(
  archives: FoundArchive[],
  now: Date,
  retentionDays: number,
  keepLast: number,
): RetentionPlan {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  const { trusted, future } = splitFuture(archives, now);
  const keep: FoundArchive[] = [];
  const expired: FoundArchive[] = [];
  trusted.forEach((a, i) => {
    if (i < keepLast || retentionDays === 0 || a.at.getTime() >= cutoff)
      keep.push(a);
    else expired.push(a);
  });
  return { keep, expired, future };
}

/** Deletes the expired archives; returns the names deleted. */
export async function applyRetention(plan: RetentionPlan): Promise<string[]> {
  const deleted: string[] = [];
  for (const a of plan.expired) {
    await rm(a.path, { force: true });
    deleted.push(a.name);
  }
  return deleted;
}

/**
 * Temporary archives (`<archive name>.tmp-<hex>`) left by runs that died,
 * older than `olderThanMs`: younger ones may belong to a run still going.
 */
export async function staleTemporaries(
  dir: string,
  prefix: string,
  now: Date,
  olderThanMs: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    if (temporaryOf(prefix, name) === undefined) continue;
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st && now.getTime() - st.mtimeMs > olderThanMs)
      out.push(join(dir, name));
  }
  return out;
}

/**
 * The start of the spool directory name of a run of `prefix`; mkdtemp adds
 * six letters or digits: `.pqc-ops-spool-<prefix>-XXXXXX`. The prefix in the
 * name lets the next run of that prefix find what a killed run left.
 */
export function spoolDirPrefix(prefix: string): string {
  return `.pqc-ops-spool-${prefix}-`;
}

/** Whether `name` is the spool directory name of a run of exactly `prefix`. */
export function isSpoolOf(prefix: string, name: string): boolean {
  const head = spoolDirPrefix(prefix);
  return (
    name.startsWith(head) && /^[A-Za-z0-9]{6}$/.test(name.slice(head.length))
  );
}

/**
 * The newest mtime of a directory and everything in it (not following
 * symlinks); undefined when it is gone.
 */
async function newestMtime(path: string): Promise<number | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  let newest = st.mtimeMs;
  if (st.isDirectory()) {
    const names = await readdir(path).catch(() => [] as string[]);
    for (const n of names) {
      const m = await newestMtime(join(path, n));
      if (m !== undefined && m > newest) newest = m;
    }
  }
  return newest;
}

/**
 * Spool directories of `prefix` left by runs that were killed (SIGKILL: no
 * cleanup could run) whose newest file is older than `olderThanMs`: a run
 * still dumping keeps writing its spool, so its newest mtime stays fresh.
 */
export async function staleSpools(
  dir: string,
  prefix: string,
  now: Date,
  olderThanMs: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || !isSpoolOf(prefix, e.name)) continue;
    const newest = await newestMtime(join(dir, e.name));
    if (newest !== undefined && now.getTime() - newest > olderThanMs)
      out.push(join(dir, e.name));
  }
  return out;
}
