/**
 * Archive file names, the one definition: `<prefix>_<YYYYmmdd_HHMMSS>.tar`,
 * `.zst` appended when compressed with zstd (`compression: zstd`), then
 * `.age` when encrypted, the time in UTC (the run's start). Every
 * reader (retention, locate, health's freshness check, verification) and the
 * writer go through these functions.
 */
import { readdir } from 'node:fs/promises';

/** The backup's default prefix (input `prefix`). */
export const DEFAULT_PREFIX = 'pqc-audit-backup';

/**
 * How far ahead of the clock a name may be and still be trusted (clock skew
 * between the machine that wrote it and the one reading it).
 */
export const MAX_CLOCK_SKEW_MS = 3_600_000;

/**
 * How far the manifest's time may be from the name's: a backup that takes
 * longer than this, or a name or manifest that was edited, fails.
 */
export const MAX_NAME_MANIFEST_SKEW_MS = 86_400_000;

const PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** Whether a prefix is safe in a file name and a regular expression. */
export function validPrefix(prefix: string): boolean {
  return PREFIX_RE.test(prefix);
}

/** What a valid prefix looks like, for messages. */
export const PREFIX_RULE =
  "letters, digits, '.', '_' or '-', starting with a letter or digit, at most 101 characters";

/** `<prefix>_YYYYmmdd_HHMMSS.tar[.zst][.age]`, for messages. */
export function namePattern(prefix: string): string {
  return `${prefix}_YYYYmmdd_HHMMSS.tar[.zst][.age]`;
}

/**
 * How the tar inside an archive is compressed: `pg` (a plain tar; pg_dump
 * compresses the dump itself) or `zstd` (pg_dump writes its custom format
 * uncompressed and the whole tar is zstd-compressed: `.tar.zst`).
 */
export type Compression = 'pg' | 'zstd';

/** The accepted values of input `compression`, default first. */
export const COMPRESSIONS: readonly Compression[] = ['pg', 'zstd'];

function stamp(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}_${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}

/** The archive name of `prefix` for a run started `at`. */
export function archiveName(
  prefix: string,
  at: Date,
  encrypted: boolean,
  compression: Compression = 'pg',
): string {
  if (!validPrefix(prefix))
    throw new Error(`archive prefix "${prefix}" is not ${PREFIX_RULE}`);
  const y = at.getUTCFullYear();
  if (!Number.isFinite(at.getTime()) || y < 1000 || y > 9999)
    throw new Error(`cannot name an archive for ${String(at)}`);
  return `${prefix}_${stamp(at)}.tar${compression === 'zstd' ? '.zst' : ''}${encrypted ? '.age' : ''}`;
}

/** Every name an archive of `prefix` started `at` could have. */
export function archiveNames(prefix: string, at: Date): string[] {
  return COMPRESSIONS.flatMap((c) => [
    archiveName(prefix, at, false, c),
    archiveName(prefix, at, true, c),
  ]);
}

/** A parsed archive name. */
export interface ParsedName {
  prefix: string;
  /** The time in the name (UTC, whole seconds). */
  at: Date;
  encrypted: boolean;
  compression: Compression;
}

// The prefix is greedy, so the last `_YYYYmmdd_HHMMSS.tar` is the stamp.
const NAME_RE =
  /^(.+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.tar(\.zst)?(\.age)?$/;

/**
 * Any exact archive name, whatever its prefix (which must be a valid one), with
 * a real calendar time; else undefined.
 */
export function parseAnyArchiveName(name: string): ParsedName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const prefix = m[1] ?? '';
  if (!validPrefix(prefix)) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(2, 8).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    at.getUTCFullYear() !== y ||
    at.getUTCMonth() !== mo - 1 ||
    at.getUTCDate() !== d
  )
    return undefined;
  return {
    prefix,
    at,
    encrypted: m[9] !== undefined,
    compression: m[8] === undefined ? 'pg' : 'zstd',
  };
}

/** The time encoded in an exact archive name of `prefix`, else undefined. */
export function parseArchiveName(
  prefix: string,
  name: string,
): { at: Date; encrypted: boolean; compression: Compression } | undefined {
  const p = parseAnyArchiveName(name);
  if (!p || p.prefix !== prefix) return undefined;
  return { at: p.at, encrypted: p.encrypted, compression: p.compression };
}

/** The temporary name an archive is written under before it is linked. */
export function temporaryName(final: string, random: string): string {
  if (!/^[0-9a-f]+$/.test(random))
    throw new Error('temporary name suffix must be hex');
  return `${final}.tmp-${random}`;
}

/**
 * The final archive name a temporary file of `prefix` belongs to
 * (`<archive name>.tmp-<hex>`), else undefined.
 */
export function temporaryOf(prefix: string, name: string): string | undefined {
  const m = /^(.+)\.tmp-[0-9a-f]+$/.exec(name);
  const final = m?.[1];
  return final !== undefined && parseArchiveName(prefix, final)
    ? final
    : undefined;
}

/** Whether a name's time is further ahead of `now` than clock skew explains. */
export function isFromTheFuture(at: Date, now: Date): boolean {
  return at.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS;
}

/**
 * Refuses, before anything is dumped, when the archive this run would write
 * already exists (plain or encrypted, either compression, same prefix and
 * second) or another run
 * is writing it: two backups in the same second would otherwise fail only at
 * the very end, after the whole dump. (The final link never replaces a file
 * either way; this makes the refusal early and clear.)
 */
export async function assertNameFree(
  dir: string,
  prefix: string,
  at: Date,
): Promise<void> {
  const taken = new Set(archiveNames(prefix, at));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const n of names) {
    const final = taken.has(n) ? n : temporaryOf(prefix, n);
    if (final !== undefined && taken.has(final)) {
      throw new Error(
        `an archive for this second already ${final === n ? 'exists' : 'is being written'}: ${dir}/${n}; archive names have one-second resolution, so two backups of prefix ${prefix} cannot start in the same second (nothing was dumped; run again)`,
      );
    }
  }
}

/** The manifest's times (ISO strings as written), as far as they are known. */
export interface ManifestTimes {
  startedAt?: string;
  endedAt?: string;
}

/**
 * Cross-checks a manifest's time against the time in the archive's name:
 * `endedAt` must parse and lie within MAX_NAME_MANIFEST_SKEW_MS of the name,
 * and not before it by more than a second (the name is the run's start,
 * truncated to the second); with `now`, `endedAt` must not be in the future.
 * Returns one line describing the problem, or undefined when consistent.
 */
export function manifestTimeProblem(
  nameAt: Date,
  m: ManifestTimes,
  now?: Date,
): string | undefined {
  const ended = Date.parse(m.endedAt ?? '');
  if (!Number.isFinite(ended))
    return `the manifest's endedAt (${String(m.endedAt)}) is not a time`;
  const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  const diff = ended - nameAt.getTime();
  if (diff < -1000 || diff > MAX_NAME_MANIFEST_SKEW_MS) {
    return `the manifest says the backup ended ${m.endedAt}, ${hours(Math.abs(diff))} ${diff < 0 ? 'before' : 'after'} the time in the archive's name (${nameAt.toISOString()}): the name or the manifest was changed (at most ${hours(MAX_NAME_MANIFEST_SKEW_MS)} apart is accepted)`;
  }
  if (now && ended > now.getTime() + MAX_CLOCK_SKEW_MS)
    return `the manifest says the backup ended ${m.endedAt}, ${hours(ended - now.getTime())} in the future`;
  return undefined;
}
