import type { PgEndpoint } from '../postgres/endpoint.js';
import { feedAll, restoreStream } from '../postgres/tools.js';
import type { CommandRunner } from '../process/runner.js';
import { withMember, type RemoteOpener } from './archive-reader.js';
import { MEMBERS, type Manifest } from './manifest.js';

function memberSha(manifest: Manifest, name: string): string {
  return manifest.members.find((x) => x.name === name)?.sha256 ?? '';
}

/**
 * Streams database.dump into `pg_restore --clean --if-exists
 * --single-transaction` (all or nothing) on the endpoint.
 */
export function restoreDatabaseFrom(
  archive: string,
  identities: string[],
  manifest: Manifest,
  ep: PgEndpoint,
  remote?: RemoteOpener,
): Promise<void> {
  return withMember(
    archive,
    identities,
    MEMBERS.database,
    memberSha(manifest, MEMBERS.database),
    (chunks) => restoreStream(ep, chunks, { clean: true }),
    remote,
  );
}

/** Streams appdata.tar into `tar -C <dir> -xf -` where the runner runs. */
export function restoreAppdataFrom(
  archive: string,
  identities: string[],
  manifest: Manifest,
  runner: CommandRunner,
  dir: string,
  remote?: RemoteOpener,
): Promise<void> {
  return withMember(
    archive,
    identities,
    MEMBERS.appdata,
    memberSha(manifest, MEMBERS.appdata),
    async (chunks) => {
      const cmd = await runner.start(['tar', '-C', dir, '-xf', '-']);
      cmd.stdout.resume();
      let err = '';
      cmd.stderr.on(
        'data',
        (c: Buffer) => (err = (err + String(c)).slice(-500)),
      );
      const [, code] = await Promise.all([
        // A source that breaks mid-stream must not leave tar waiting.
        feedAll(chunks, cmd.stdin).catch((e: unknown) => {
          cmd.kill();
          throw e;
        }),
        cmd.done,
      ]);
      if (code !== 0)
        throw new Error(
          `tar -x in ${runner.where} failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`,
        );
    },
    remote,
  );
}
