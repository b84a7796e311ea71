import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigurationError, RefusedError } from '../errors.js';
import { isRemote } from './archive-reader.js';
import { namePattern, parseAnyArchiveName } from './naming.js';
import { listArchives, splitFuture, type FoundArchive } from './retention.js';

/**
 * The archive to read: `archive` when given, else the newest of `prefix` in
 * `destination`. With `now`, archives whose name is from the future (more than
 * the allowed clock skew ahead) are passed over and returned in `future`, so a
 * garbage file named for 2999 cannot stand in for the newest backup.
 */
export async function locateArchive(o: {
  archive: string | undefined;
  destination: string | undefined;
  prefix: string;
  now?: Date;
  /** Lists the archives of a prefix when `destination` is a bucket. */
  bucket?: { list(prefix: string): Promise<FoundArchive[]> };
}): Promise<{ path: string; at?: Date; future: FoundArchive[] }> {
  if (o.archive) {
    if (!isRemote(o.archive) && !existsSync(o.archive))
      throw new ConfigurationError(`input 'archive': no file at ${o.archive}`);
    return {
      path: o.archive,
      at: parseAnyArchiveName(basename(o.archive))?.at,
      future: [],
    };
  }
  if (!o.destination)
    throw new ConfigurationError(
      "give input 'archive' (a file) or 'destination' (a directory holding archives of 'prefix')",
    );
  if (!o.bucket && !existsSync(o.destination))
    throw new ConfigurationError(
      `input 'destination': no directory at ${o.destination}`,
    );
  const found = o.bucket
    ? await o.bucket.list(o.prefix)
    : await listArchives(o.destination, o.prefix);
  const { trusted, future } = o.now
    ? splitFuture(found, o.now)
    : { trusted: found, future: [] };
  const newest = trusted[0];
  if (!newest)
    throw new RefusedError(
      `no archive named ${namePattern(o.prefix)} in ${o.destination}${future.length ? ` (only ${future.map((f) => f.name).join(', ')}, named from the future)` : ''}`,
    );
  return { path: newest.path, at: newest.at, future };
}

/** The prefix an archive name carries (`<prefix>_YYYYmmdd_HHMMSS.tar[.zst][.age]`), else `fallback`. */
export function prefixOf(path: string, fallback: string): string {
  return parseAnyArchiveName(basename(path))?.prefix ?? fallback;
}
