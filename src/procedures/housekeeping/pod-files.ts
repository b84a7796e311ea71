import { errorMessage } from '../../errors.js';
import type { CommandRunner } from '../../process/runner.js';
import { runToEnd, type CommandOutput } from '../../process/runner.js';
import { lastError } from '../../process/output.js';

/**
 * The files of a pod, read and changed with find and gzip through exec: argv
 * arrays only, never a shell, and every path handed over as one argv item
 * after `--` (or as a find start point, which find never takes for an
 * option: the paths are absolute).
 */

/** One entry find printed: type (f file, l symlink, d directory...), size, mtime. */
export interface FileEntry {
  path: string;
  depth: number;
  type: string;
  size: number;
  /** Seconds since the epoch as find prints them (%T@): the baseline's exact text. */
  mtime: string;
}

/** Largest scan output read from one pod (about 150,000 files). */
export const SCAN_MAX_BYTES = 16 * 1024 * 1024;

/** find -printf: depth, type, size, mtime, path, NUL-terminated (any name is safe). */
const PRINTF = '%d\\t%y\\t%s\\t%T@\\t%p\\0';

/** Parses the records PRINTF prints. */
export function parseEntries(out: string): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const parts = rec.split('\t');
    if (parts.length < 5) continue;
    const [depth, type, size, mtime] = parts;
    entries.push({
      depth: Number(depth),
      type: type ?? '?',
      size: Number(size),
      mtime: mtime ?? '',
      path: parts.slice(4).join('\t'),
    });
  }
  return entries;
}

/** What a tool check found in one container. */
export interface ToolCheck {
  ok: boolean;
  /** "GNU findutils 4.9.0, gzip 1.12" or why not. */
  message: string;
}

/**
 * Whether the container has the tools housekeeping needs, asked before
 * anything is read or changed: GNU find (for -printf and -delete; BusyBox
 * find has neither -printf nor the same options) and gzip. A missing program
 * shows up as exit 126/127 or as the runtime's "executable file not found".
 */
export async function checkTools(
  runner: CommandRunner,
  timeoutMs: number,
): Promise<ToolCheck> {
  const found: string[] = [];
  const problems: string[] = [];
  const find = await probe(runner, ['find', '--version'], timeoutMs);
  if (find.missing) problems.push(`find is missing (${find.why})`);
  else if (!/GNU findutils/.test(find.out))
    problems.push(
      `find is not GNU findutils (${find.first || find.why}): housekeeping needs its -printf and -delete, as Debian-based images such as python:3.11-slim have (BusyBox find does not)`,
    );
  else found.push(find.first.replace(/^find \(GNU findutils\)/, 'GNU find'));
  const gzip = await probe(runner, ['gzip', '--version'], timeoutMs);
  if (gzip.missing) problems.push(`gzip is missing (${gzip.why})`);
  else if (gzip.code !== 0)
    problems.push(
      `gzip does not answer --version (${gzip.first || gzip.why}): housekeeping needs GNU gzip (or pigz)`,
    );
  else found.push(gzip.first);
  return problems.length > 0
    ? { ok: false, message: problems.join('; ') }
    : { ok: true, message: found.join(', ') };
}

async function probe(
  runner: CommandRunner,
  argv: string[],
  timeoutMs: number,
): Promise<{
  missing: boolean;
  code: number;
  out: string;
  first: string;
  why: string;
}> {
  let r: CommandOutput;
  try {
    r = await runToEnd(runner, argv, { timeoutMs, maxBytes: 64 * 1024 });
  } catch (e) {
    const why = errorMessage(e);
    // containerd/runc: "exec: \"gzip\": executable file not found in $PATH".
    if (/executable file not found|no such file or directory/i.test(why))
      return { missing: true, code: 127, out: '', first: '', why };
    throw e;
  }
  const out = r.stdout + r.stderr;
  const first = out.trim().split('\n')[0]?.trim() ?? '';
  const why = r.timedOut
    ? `no answer within ${Math.round(timeoutMs / 1000)} s`
    : `exit ${r.exitCode}${first ? `: ${first}` : ''}`;
  return {
    missing: r.exitCode === 126 || r.exitCode === 127,
    code: r.exitCode,
    out: r.stdout,
    first: r.stdout.trim().split('\n')[0]?.trim() ?? '',
    why,
  };
}

/** The entries under one directory, and what find said about what it could not read. */
export interface Scan {
  /** The directory itself: undefined when it does not exist. */
  rootType: string | undefined;
  entries: FileEntry[];
  /** find's complaints (unreadable subdirectories), when some were left out. */
  problems: string[];
}

/**
 * Everything under `root`, never following a symlink (`-P`, also for the
 * start point): the directory itself at depth 0, then every entry below.
 */
export async function scanDir(
  runner: CommandRunner,
  root: string,
  timeoutMs: number,
): Promise<Scan> {
  const r = await runToEnd(runner, ['find', '-P', root, '-printf', PRINTF], {
    timeoutMs,
    maxBytes: SCAN_MAX_BYTES + 1,
  });
  if (r.timedOut)
    throw new Error(
      `find ${root} in ${runner.where} took over ${Math.round(timeoutMs / 1000)} s`,
    );
  if (Buffer.byteLength(r.stdout) > SCAN_MAX_BYTES)
    throw new Error(
      `find ${root} in ${runner.where} listed over ${SCAN_MAX_BYTES} bytes of names: too many files for one run`,
    );
  const all = parseEntries(r.stdout);
  const rootEntry = all.find((e) => e.depth === 0);
  const problems = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (!rootEntry) {
    if (problems.some((l) => /no such file or directory/i.test(l)))
      return { rootType: undefined, entries: [], problems: [] };
    throw new Error(
      `find ${root} in ${runner.where} failed (exit ${r.exitCode}): ${lastError(r.stderr)}`,
    );
  }
  const inside = all.filter(
    (e) => e.depth > 0 && e.path.startsWith(`${root}/`),
  );
  return { rootType: rootEntry.type, entries: inside, problems };
}

/**
 * The current state of exact paths (each a find start point, `-maxdepth 0`,
 * symlinks not followed): path -> entry; a missing path is absent.
 */
export async function statPaths(
  runner: CommandRunner,
  paths: string[],
  timeoutMs: number,
): Promise<Map<string, FileEntry>> {
  const out = new Map<string, FileEntry>();
  for (const batch of batches(paths)) {
    const r = await runToEnd(
      runner,
      ['find', '-P', ...batch, '-maxdepth', '0', '-printf', PRINTF],
      { timeoutMs, maxBytes: SCAN_MAX_BYTES },
    );
    if (r.timedOut) throw new Error(`find in ${runner.where} timed out`);
    for (const e of parseEntries(r.stdout)) out.set(e.path, e);
  }
  return out;
}

/**
 * gzip each file in place (`gzip -- a b ...`, batched): the .gz keeps the
 * name and modification time; gzip itself refuses symlinks, files with
 * other hard links and an existing .gz. Returns gzip's complaints.
 */
export async function gzipFiles(
  runner: CommandRunner,
  paths: string[],
  timeoutMs: number,
): Promise<string[]> {
  return runBatches(runner, ['gzip', '--'], paths, timeoutMs);
}

/** `gzip -t` on each archive: its complaints (empty when all are intact). */
export async function testGzip(
  runner: CommandRunner,
  paths: string[],
  timeoutMs: number,
): Promise<string[]> {
  return runBatches(runner, ['gzip', '-t', '--'], paths, timeoutMs);
}

/**
 * Deletes exactly these regular files: each a find start point with
 * `-maxdepth 0 -type f -delete`, so a path that became a symlink or a
 * directory is left alone. Returns find's complaints.
 */
export async function deleteFiles(
  runner: CommandRunner,
  paths: string[],
  timeoutMs: number,
): Promise<string[]> {
  const problems: string[] = [];
  for (const batch of batches(paths)) {
    const r = await runToEnd(
      runner,
      ['find', '-P', ...batch, '-maxdepth', '0', '-type', 'f', '-delete'],
      { timeoutMs, maxBytes: 256 * 1024 },
    );
    if (r.timedOut)
      throw new Error(`find -delete in ${runner.where} timed out`);
    problems.push(...lines(r.stderr));
  }
  return problems;
}

async function runBatches(
  runner: CommandRunner,
  head: string[],
  paths: string[],
  timeoutMs: number,
): Promise<string[]> {
  const problems: string[] = [];
  for (const batch of batches(paths)) {
    const r = await runToEnd(runner, [...head, ...batch], {
      timeoutMs,
      maxBytes: 256 * 1024,
    });
    if (r.timedOut)
      throw new Error(`${head.join(' ')} in ${runner.where} timed out`);
    problems.push(...lines(r.stderr));
  }
  return problems;
}

function lines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Exec sends argv in the URL of the upgrade request: keep each command's
 * paths under 16 KiB so no proxy or API server truncates it.
 */
export function batches(paths: string[], maxBytes = 16 * 1024): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const p of paths) {
    const n = Buffer.byteLength(p) + 10;
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
