import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigurationError, RefusedError } from '../errors.js';
import { listArchives, parseArchiveName } from './retention.js';

/** The archive to read: `archive` when given, else the newest of `prefix` in `destination`. */
export async function locateArchive(o: {
  archive: string | undefined;
  destination: string | undefined;
  prefix: string;
}): Promise<{ path: string; at?: Date }> {
  if (o.archive) {
    if (!existsSync(o.archive))
      throw new ConfigurationError(`input 'archive': no file at ${o.archive}`);
    return {
      path: o.archive,
      at: parseArchiveName(o.prefix, basename(o.archive))?.at,
    };
  }
  if (!o.destination)
    throw new ConfigurationError(
      "give input 'archive' (a file) or 'destination' (a directory holding archives of 'prefix')",
    );
  if (!existsSync(o.destination))
    throw new ConfigurationError(
      `input 'destination': no directory at ${o.destination}`,
    );
  const found = await listArchives(o.destination, o.prefix);
  const newest = found[0];
  if (!newest)
    throw new RefusedError(
      `no archive named ${o.prefix}_YYYYmmdd_HHMMSS.tar[.age] in ${o.destination}`,
    );
  return { path: newest.path, at: newest.at };
}

/** The prefix an archive name carries (`<prefix>_YYYYmmdd_HHMMSS.tar[.age]`), else `fallback`. */
export function prefixOf(path: string, fallback: string): string {
  return (
    /^(.+)_\d{8}_\d{6}\.tar(\.age)?$/.exec(basename(path))?.[1] ?? fallback
  );
}
