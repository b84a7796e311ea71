import { createReadStream } from 'node:fs';
import { DEFAULT_PREFIX, namePattern } from '../archive/naming.js';
import {
  listArchives,
  splitFuture,
  type FoundArchive,
} from '../archive/retention.js';
import { verifyArchive } from '../archive/verify.js';
import type { Check } from '../report/step-result.js';

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;

/**
 * The newest archive of `prefix` in the backup directory (exact names
 * `<prefix>_YYYYmmdd_HHMMSS.tar[.zst][.age]` only: other tars, temporaries and
 * restore's safety backups of another prefix do not count) is younger than
 * `maxAgeMs` and readable.
 *
 * - Unencrypted: read whole and verified as backup-verify does (manifest,
 *   manifest.sha256, every member's sha256); the age is the manifest's
 *   `endedAt`, which must agree with the name's time (else failed).
 * - Encrypted (`.age`): the age header is checked (backup-verify decrypts);
 *   the age is the name's time.
 * - Names more than the allowed clock skew in the future are not trusted:
 *   passed over, and reported (warning).
 */
export async function backupCheck(
  dir: string,
  maxAgeMs: number,
  now: Date,
  prefix: string = DEFAULT_PREFIX,
): Promise<Check> {
  const threshold = `newest ${namePattern(prefix)} younger than ${Math.round(maxAgeMs / 3_600_000)} h and readable`;
  let all: FoundArchive[];
  try {
    all = await listArchives(dir, prefix);
  } catch (e) {
    return {
      name: 'backup',
      status: 'warning',
      observed: `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      threshold,
    };
  }
  const { trusted, future } = splitFuture(all, now);
  const futureNote = future.length
    ? `ignored ${future.length} archive(s) named from the future (not trusted, check the clock or remove them): ${future.map((f) => f.name).join(', ')}`
    : undefined;
  const newest = trusted[0];
  if (!newest)
    return {
      name: 'backup',
      status: 'warning',
      observed: `no archive named ${namePattern(prefix)} in ${dir}`,
      threshold,
      detail: futureNote,
    };
  const unreadable = (why: string, detail: string): Check => ({
    name: 'backup',
    status: 'warning',
    observed: `${newest.name}: ${why}, unreadable`,
    threshold,
    detail: `${newest.path}: ${detail}`,
  });
  const seen = newest.encrypted
    ? await inspectEncrypted(newest, now, unreadable)
    : await inspectPlain(newest, now, threshold, futureNote, unreadable);
  if ('done' in seen) return seen.done;
  const { writtenAt, readable, notes } = seen;
  if (futureNote) notes.push(futureNote);
  const ageMs = now.getTime() - writtenAt.getTime();
  const fresh = ageMs <= maxAgeMs;
  if (!fresh)
    notes.unshift(
      `the newest backup is older than ${Math.round(maxAgeMs / 3_600_000)} h: is the backup job running?`,
    );
  return {
    name: 'backup',
    status: fresh && notes.length === 0 ? 'ok' : 'warning',
    observed: `${newest.name}: ${hours(Math.max(0, ageMs))} old, ${readable}`,
    threshold,
    detail: notes.length ? notes.join('; ') : undefined,
  };
}

/**
 * How the newest archive read: when it was written, what was checked and
 * notes for the detail; or the check itself when it cannot be used.
 */
type Inspection =
  { done: Check } | { writtenAt: Date; readable: string; notes: string[] };

/** An encrypted archive: its age header only; the age is the name's time. */
async function inspectEncrypted(
  newest: FoundArchive,
  now: Date,
  unreadable: (why: string, detail: string) => Check,
): Promise<Inspection> {
  const writtenAt = newest.at;
  try {
    const head = await firstBytes(newest.path, 64);
    if (!head.startsWith('age-encryption.org/v1\n'))
      throw new Error('not an age file');
  } catch (e) {
    return {
      done: unreadable(
        `${hours(now.getTime() - writtenAt.getTime())} old by its name`,
        e instanceof Error ? e.message : String(e),
      ),
    };
  }
  return {
    writtenAt,
    readable:
      'age header ok (encrypted: age from the name; backup-verify checks the content)',
    notes: [],
  };
}

/** A plain archive: verified whole; the age is the manifest's endedAt. */
async function inspectPlain(
  newest: FoundArchive,
  now: Date,
  threshold: string,
  futureNote: string | undefined,
  unreadable: (why: string, detail: string) => Check,
): Promise<Inspection> {
  const v = await verifyArchive(newest.path, [], new Set(), {}, { now });
  const time = v.checks.find((c) => c.name === 'archive time');
  if (time?.status === 'failed')
    return {
      done: {
        name: 'backup',
        status: 'failed',
        observed: `${newest.name}: ${time.observed}`,
        threshold,
        detail: futureNote,
      },
    };
  const bad = v.checks.find((c) => c.status === 'failed');
  if (!v.manifest || bad)
    return {
      done: unreadable(
        `${hours(now.getTime() - newest.at.getTime())} old by its name`,
        bad ? `${bad.observed}${bad.detail ? ` (${bad.detail})` : ''}` : '',
      ),
    };
  const notes: string[] = [];
  const members = v.checks.filter((c) => c.name.startsWith('member ')).length;
  for (const c of v.checks)
    if (c.status === 'warning') notes.push(`${c.name}: ${c.observed}`);
  return {
    writtenAt: new Date(v.manifest.endedAt),
    readable: `${members} member(s) match the manifest (written ${v.manifest.endedAt})`,
    notes,
  };
}

async function firstBytes(path: string, n: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path, {
    start: 0,
    end: n - 1,
  }) as AsyncIterable<Buffer>)
    chunks.push(c);
  return Buffer.concat(chunks).toString('latin1');
}
