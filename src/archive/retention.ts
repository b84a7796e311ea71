import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Archive file names: `<prefix>_<YYYYmmdd_HHMMSS>.tar[.age]`, times in UTC. */
export function archiveName(
  prefix: string,
  at: Date,
  encrypted: boolean,
): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}_${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  return `${prefix}_${stamp}.tar${encrypted ? '.age' : ''}`;
}

/** Whether a prefix is safe in a file name and a regular expression. */
export function validPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(prefix);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** An archive of a prefix found in a directory. */
export interface FoundArchive {
  name: string;
  path: string;
  /** The time in its name. */
  at: Date;
  encrypted: boolean;
}

/** The time encoded in an exact archive name of `prefix`, else undefined. */
export function parseArchiveName(
  prefix: string,
  name: string,
): { at: Date; encrypted: boolean } | undefined {
  const m = new RegExp(
    `^${escapeRe(prefix)}_(\\d{4})(\\d{2})(\\d{2})_(\\d{2})(\\d{2})(\\d{2})\\.tar(\\.age)?$`,
  ).exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
  return { at, encrypted: m[7] !== undefined };
}

/** Every archive of `prefix` in `dir`, newest first. */
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

/** What retention decided. */
export interface RetentionPlan {
  keep: FoundArchive[];
  expired: FoundArchive[];
}

/**
 * Archives older than `retentionDays` (0 = never expire), except the newest
 * `keepLast`, which are kept whatever their age.
 */
export function planRetention(
  archives: FoundArchive[],
  now: Date,
  retentionDays: number,
  keepLast: number,
): RetentionPlan {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  const keep: FoundArchive[] = [];
  const expired: FoundArchive[] = [];
  archives.forEach((a, i) => {
    if (i < keepLast || retentionDays === 0 || a.at.getTime() >= cutoff)
      keep.push(a);
    else expired.push(a);
  });
  return { keep, expired };
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
 * Temporary archives (`<prefix>_*.tar[.age].tmp-*`) left by runs that died,
 * older than `olderThanMs`: younger ones may belong to a run still going.
 */
export async function staleTemporaries(
  dir: string,
  prefix: string,
  now: Date,
  olderThanMs: number,
): Promise<string[]> {
  const re = new RegExp(
    `^${escapeRe(prefix)}_\\d{8}_\\d{6}\\.tar(\\.age)?\\.tmp-[0-9a-f]+$`,
  );
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    if (!re.test(name)) continue;
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st && now.getTime() - st.mtimeMs > olderThanMs)
      out.push(join(dir, name));
  }
  return out;
}
