import type { RemoteOpener } from '../../archive/archive-reader.js';
import type { Recipients } from '../../archive/age.js';
import { createBackup, type BackupSources } from '../../archive/create.js';
import { restoreDatabaseFrom } from '../../archive/restore-steps.js';
import type { FoundArchive } from '../../archive/retention.js';
import { streamBackup } from '../../archive/stream-create.js';
import { verifyArchive } from '../../archive/verify.js';
import { compareCounts } from '../../archive/verify-checks.js';
import {
  newestVerifiedArchive,
  type VerifiedCandidate,
} from '../../dr/archive.js';
import { listArchives } from '../../archive/retention.js';
import { RefusedError } from '../../errors.js';
import { locationOf } from '../../inputs/groups-archive.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { countTablesNow } from '../../postgres/tools.js';
import type { S3Settings } from '../../storage/client.js';
import { bucketTarget } from '../../storage/s3-target.js';
import { PQC_OPS_VERSION } from '../../version.js';
import type { IncidentRun } from './shared.js';

/** How data-corruption reads and writes archives, resolved once. */
export interface ArchiveAccess {
  identities: string[];
  recipients: Recipients | undefined;
  s3: S3Settings | undefined;
  bucket?: { list(prefix: string): Promise<FoundArchive[]> };
  remote?: RemoteOpener;
}

/**
 * The last known good archive: the newest of `prefix` that verifies and was
 * taken at or before not-after (when given); newer ones are never tried.
 */
export function lastGoodArchive(
  r: IncidentRun,
  a: ArchiveAccess,
): Promise<VerifiedCandidate> {
  const { o } = r;
  const dest = o.destination ?? '';
  const list = (p: string) =>
    a.bucket ? a.bucket.list(p) : listArchives(dest, p);
  const notAfter = o.notAfter;
  return newestVerifiedArchive({
    destination: dest,
    prefix: o.prefix,
    identities: a.identities,
    required: new Set(['database']),
    now: r.ctx.now(),
    bucket: {
      list: async (p) =>
        (await list(p)).filter((x) => !notAfter || x.at <= notAfter),
    },
    remote: a.remote,
    onTry: (path, ok, why) =>
      r.ctx.log.info(`${path}: ${ok ? 'verified' : `passed over: ${why}`}`),
  });
}

/**
 * The emergency backup of the current (corrupted) state, in the backup
 * procedure's archive format, to the same destination kinds: a directory
 * (spooled) or a bucket (streamed as a multipart upload).
 */
export async function emergencyBackup(
  r: IncidentRun,
  a: ArchiveAccess,
  ep: PgEndpoint,
  via: 'url' | 'exec',
): Promise<{ path: string; sha256: string; size: number }> {
  const { o, ctx } = r;
  const src: BackupSources = { database: { endpoint: ep, via } };
  const settings = {
    prefix: o.emergencyPrefix,
    recipients: a.recipients,
    allowPlaintextSecrets: false,
    now: ctx.now,
    info: ctx.log.info,
    mask: ctx.maskSecret,
    cluster: r.kube.server,
    namespace: o.namespace,
    version: PQC_OPS_VERSION,
  };
  const place = locationOf(o.destination ?? '', 'destination');
  if ('dir' in place)
    return (await createBackup(src, { ...settings, dir: place.dir })).archive;
  if (!a.s3) throw new Error('a bucket destination without its s3 settings');
  const target = await bucketTarget(place.bucket, a.s3, ctx.signal);
  return (await streamBackup(src, { ...settings, target, compression: 'pg' }))
    .archive;
}

/**
 * Restores the archive the plan chose: verified again (it may have changed
 * since the plan), its dump restored all or nothing, then the row counts
 * compared with its manifest.
 */
export async function restoreArchive(
  r: IncidentRun,
  a: ArchiveAccess,
  path: string,
  ep: PgEndpoint,
): Promise<void> {
  const v = await verifyArchive(
    path,
    a.identities,
    new Set(['database']),
    {},
    {
      now: r.ctx.now(),
      remote: a.remote,
    },
  );
  const bad = v.checks.find((c) => c.status === 'failed');
  if (!v.ok || !v.manifest || bad)
    throw new RefusedError(
      `${path} no longer verifies (${bad ? `${bad.name}: ${bad.observed}` : 'no manifest'}): make a new plan`,
    );
  await restoreDatabaseFrom(path, a.identities, v.manifest, ep, a.remote);
  const diffs = compareCounts(
    v.manifest.database?.tables ?? [],
    await countTablesNow(ep),
  );
  r.rb.check({
    name: 'row counts',
    status: diffs.length === 0 ? 'ok' : 'failed',
    observed:
      diffs.length === 0
        ? `${v.manifest.database?.tables.length ?? 0} table(s) match the archive's manifest`
        : diffs.slice(0, 10).join('; '),
  });
}
