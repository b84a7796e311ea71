import { namePattern } from '../archive/naming.js';
import { splitFuture } from '../archive/retention.js';
import type { Check } from '../report/step-result.js';
import type { S3Settings } from '../storage/client.js';
import { parseBucketUrl } from '../storage/location.js';
import { archiveBucket, type BucketArchive } from '../storage/s3-archives.js';

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;

/**
 * Backup freshness in a bucket, from a listing only (no download): the
 * newest archive of `prefix` by the time in its name, its size, and the time
 * the store says it was written, which must agree with the name (an object
 * rewritten or copied later is reported). backup-verify checks the content.
 */
export async function bucketBackupCheck(
  url: string,
  s: S3Settings,
  maxAgeMs: number,
  now: Date,
  prefix: string,
  signal?: AbortSignal,
): Promise<Check> {
  const threshold = `newest ${namePattern(prefix)} in ${url} younger than ${Math.round(maxAgeMs / 3_600_000)} h`;
  let all: BucketArchive[];
  try {
    const bucket = await archiveBucket(
      parseBucketUrl(url, 'backup-dir'),
      s,
      signal,
    );
    all = await bucket.list(prefix);
  } catch (e) {
    return {
      name: 'backup',
      status: 'warning',
      observed: e instanceof Error ? e.message : String(e),
      threshold,
    };
  }
  const { trusted, future } = splitFuture(all, now);
  const notes = future.length
    ? [
        `ignored ${future.length} archive(s) named from the future: ${future.map((f) => f.name).join(', ')}`,
      ]
    : [];
  const newest = trusted[0] as BucketArchive | undefined;
  if (!newest)
    return {
      name: 'backup',
      status: 'warning',
      observed: `no archive named ${namePattern(prefix)} in ${url}`,
      threshold,
      detail: notes.join('; ') || undefined,
    };
  const ageMs = now.getTime() - newest.at.getTime();
  const stored = newest.lastModified?.getTime();
  if (
    stored !== undefined &&
    Math.abs(stored - newest.at.getTime()) > 86_400_000
  )
    notes.push(
      `the store says it was written ${newest.lastModified?.toISOString()}, ${hours(Math.abs(stored - newest.at.getTime()))} from the time in its name`,
    );
  const fresh = ageMs <= maxAgeMs;
  if (!fresh)
    notes.unshift(
      `the newest backup is older than ${Math.round(maxAgeMs / 3_600_000)} h: is the backup job running?`,
    );
  return {
    name: 'backup',
    status: fresh && notes.length === 0 ? 'ok' : 'warning',
    observed: `${newest.name}: ${hours(Math.max(0, ageMs))} old, ${newest.size} bytes (from the listing; backup-verify checks the content)`,
    threshold,
    detail: notes.length ? notes.join('; ') : undefined,
  };
}
