import { mkdir, rm, stat } from 'node:fs/promises';
import type { Recipients } from '../../archive/age.js';
import {
  createBackup,
  type BackupOutcome,
  type BackupSources,
} from '../../archive/create.js';
import { directoryTarget } from '../../archive/file-target.js';
import { streamBackup } from '../../archive/stream-create.js';
import { tableName, type Component } from '../../archive/manifest.js';
import {
  applyRetention,
  listArchives,
  planRetention,
  staleSpools,
  staleTemporaries,
} from '../../archive/retention.js';
import { ConfigurationError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { holdLease, type ProcedureLease } from '../../kube/connect.js';
import { resolvePod } from '../../kube/pods.js';
import { databaseEndpoint, databaseMode } from '../../postgres/source.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import { PQC_OPS_VERSION } from '../../version.js';
import { locationOf, s3SettingsOf } from '../../inputs/groups-archive.js';
import type { S3Settings } from '../../storage/client.js';
import type { BucketLocation } from '../../storage/location.js';
import { archiveBucket, keyOf } from '../../storage/s3-archives.js';
import { bucketTarget } from '../../storage/s3-target.js';
import type { BackupOptions } from './inputs.js';
import { retainInBucket } from './bucket.js';

/** The destination directory, created when missing; errors name the input. */
export async function prepareDestination(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why: Record<string, string> = {
      EEXIST: 'a file, not a directory, is in the way',
      ENOTDIR: 'a part of the path is a file, not a directory',
      EACCES: 'permission denied',
      EROFS: 'the filesystem is read-only',
      ENOSPC: 'no space left on the device',
    };
    throw new ConfigurationError(
      `input 'destination': cannot create the directory ${dir}: ${why[code] ?? code}`,
    );
  }
  if (!(await stat(dir)).isDirectory())
    throw new ConfigurationError(
      `input 'destination': ${dir} is not a directory`,
    );
}

/**
 * Holds the run's Lease when there is a cluster; without credentials the
 * database-only backup runs unlocked, with a warning. Recorded as `lock`.
 */
export async function takeLock(
  o: BackupOptions,
  kube: Kube | undefined,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<ProcedureLease | undefined> {
  if (!kube) {
    ctx.log.warning(
      'no cluster credentials: running a database-only backup without the Lease, so nothing prevents an overlapping run',
    );
    rb.check({
      name: 'lock',
      status: 'skipped',
      observed: 'no cluster credentials: ran without a Lease',
    });
    return undefined;
  }
  rb.target['cluster'] = kube.server;
  const lease = await holdLease(kube, ctx, {
    namespace: o.namespace,
    name: o.lockName,
  });
  rb.check({
    name: 'lock',
    status: 'ok',
    observed: `holding Lease ${o.namespace}/${o.lockName}`,
  });
  return lease;
}

/** Where each requested component comes from, resolved against the cluster. */
export async function resolveSources(
  o: BackupOptions,
  include: Set<Component>,
  kube: Kube | undefined,
  ctx: ProcedureContext,
): Promise<BackupSources> {
  const src: BackupSources = {};
  if (include.has('database')) {
    const via = databaseMode(o, true) ?? 'url';
    src.database = {
      endpoint: await databaseEndpoint(
        o,
        via,
        kube,
        o.namespace,
        ctx.maskSecret,
      ),
      via,
    };
  }
  if (include.has('config') && kube)
    src.config = { kube, namespace: o.namespace, selector: o.configSelector };
  if (include.has('appdata') && kube) {
    const runner = await resolvePod(kube, o.namespace, {
      pod: o.appdataPod,
      selector: o.appdataSelector,
      container: o.appdataContainer,
      what: 'application pod',
    });
    src.appdata = { runner, path: o.appdataPath };
  }
  return src;
}

/** Where the archive goes: a directory, or a bucket. */
export type Place =
  { dir: string } | { bucket: BucketLocation; s3: S3Settings };

/** The place `destination` names (validated: the rules throw one line). */
export function placeOf(o: BackupOptions): Place {
  const loc = locationOf(o.destination, 'destination');
  return 'dir' in loc ? loc : { bucket: loc.bucket, s3: s3SettingsOf(o) };
}

/**
 * The archive: into a directory spooled (compression pg) or streamed (zstd);
 * into a bucket always streamed, as a multipart upload.
 */
async function createArchive(
  o: BackupOptions,
  place: Place,
  src: BackupSources,
  recipients: Recipients | undefined,
  kube: Kube | undefined,
  ctx: ProcedureContext,
): Promise<BackupOutcome> {
  const settings = {
    prefix: o.prefix,
    recipients,
    allowPlaintextSecrets: o.allowPlaintextSecrets,
    now: ctx.now,
    info: ctx.log.info,
    mask: ctx.maskSecret,
    cluster: kube?.server,
    namespace: kube ? o.namespace : undefined,
    version: PQC_OPS_VERSION,
  };
  if ('dir' in place && o.compression === 'pg')
    return createBackup(src, {
      ...settings,
      dir: place.dir,
      progress: ctx.progress,
    });
  return streamBackup(src, {
    ...settings,
    target:
      'dir' in place
        ? directoryTarget(place.dir)
        : await bucketTarget(place.bucket, place.s3, ctx.signal),
    compression: o.compression,
  });
}

/** Writes the archive and records each member; fails when a requested component is missing. */
export async function writeBackup(
  o: BackupOptions,
  place: Place,
  src: BackupSources,
  include: Set<Component>,
  recipients: Recipients | undefined,
  kube: Kube | undefined,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<{ path: string; sha256: string; size: number }> {
  const res = await ctx.log.group('backup', () =>
    createArchive(o, place, src, recipients, kube, ctx),
  );
  const m = res.manifest;
  const archived = new Set(m.members.map((x) => x.component));
  const missing = [...include].filter((c) => !archived.has(c));
  if (missing.length > 0) {
    if ('dir' in place) await rm(res.archive.path, { force: true });
    else
      await (
        await archiveBucket(place.bucket, place.s3)
      ).remove(keyOf(place.bucket, res.archive.path));
    throw new Error(
      `the archive would lack ${missing.join(', ')} (requested in 'include'); it was deleted and nothing else was touched`,
    );
  }
  for (const mem of m.members) {
    const detail =
      mem.component === 'database'
        ? `, ${m.database?.tables.length ?? 0} table(s), ${m.database?.tables.reduce((n, t) => n + t.rows, 0) ?? 0} row(s)`
        : mem.component === 'config'
          ? `, ${m.config?.configMaps.length ?? 0} ConfigMap(s), ${m.config?.secrets.length ?? 0} Secret(s)`
          : '';
    rb.check({
      name: mem.component,
      status: 'ok',
      observed: `${mem.name}: ${mem.size} bytes${detail}`,
    });
  }
  rb.check({
    name: 'encryption',
    status: 'ok',
    observed: recipients
      ? `age, ${recipients.list.length} ${recipients.kind === 'hybrid' ? 'post-quantum hybrid (ML-KEM-768 + X25519)' : 'X25519'} recipient(s)`
      : 'not encrypted',
  });
  rb.check({
    name: 'archive',
    status: 'ok',
    observed:
      'bucket' in place
        ? `${res.archive.size} bytes${o.compression === 'zstd' ? ', zstd' : ''}, uploaded in parts; the stored object read back matches every part (sha256 ${res.archive.sha256.slice(0, 16)}...); ${res.archive.note ?? ''}`
        : o.compression === 'pg'
          ? `${res.archive.size} bytes; sha256 re-read from disk matches`
          : `${res.archive.size} bytes, zstd; every part re-read from disk matches`,
    threshold:
      'bucket' in place
        ? 'member checksums known before the upload completes; the object read back before success'
        : 'member checksums and file sha256 verified before rename',
  });
  const { note: _note, ...stored } = res.archive;
  rb.artifacts.push(stored);
  if (m.database)
    rb.details.push(
      [
        "#### Tables (rows in the dump's snapshot)",
        '',
        ...m.database.tables.map((t) => `- ${tableName(t)}: ${t.rows}`),
      ].join('\n'),
    );
  if (!recipients)
    rb.followUps.push(
      'The archive is not encrypted: set age-recipients (age1pq1... for post-quantum protection).',
    );
  return res.archive;
}

/**
 * What runs that died (SIGKILL, a lost machine) left: temporary archives and
 * spool directories of this prefix untouched for longer than lock-duration.
 * Run before the dump too, so a dead run's spool cannot fill the disk for
 * every later run. Returns what was removed, in words.
 */
export async function removeStale(
  o: BackupOptions,
  ctx: ProcedureContext,
): Promise<string[]> {
  const args = [o.destination, o.prefix, ctx.now(), o.lockDuration] as const;
  const stale = await staleTemporaries(...args);
  const spools = await staleSpools(...args);
  for (const s of [...stale, ...spools])
    await rm(s, { force: true, recursive: true });
  return [
    ...(stale.length ? [`${stale.length} stale temporary file(s)`] : []),
    ...(spools.length ? [`${spools.length} stale spool directory(ies)`] : []),
  ];
}

/** Retention, only after this run's archive is safely in place. */
export async function retain(
  o: BackupOptions,
  place: Place,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<void> {
  if ('bucket' in place) return retainInBucket(o, place, ctx, rb);
  const plan = planRetention(
    await listArchives(o.destination, o.prefix),
    ctx.now(),
    o.retentionDays,
    o.keepLast,
  );
  const deleted = await applyRetention(plan);
  if (plan.future.length > 0)
    rb.check({
      name: 'future names',
      status: 'warning',
      observed: `${plan.future.length} archive(s) named from the future, not counted among the newest ${o.keepLast} and not deleted: ${plan.future.map((f) => f.name).join(', ')}`,
      detail: 'check the clock of the machine that wrote them, or remove them',
    });
  for (const d of deleted)
    rb.change(
      'deleted expired archive',
      `${o.destination}/${d}`,
      'none: restore it from off-site copies if needed',
    );
  const leftovers = await removeStale(o, ctx);
  rb.check({
    name: 'retention',
    status: 'ok',
    observed: `${deleted.length} expired archive(s) deleted, ${plan.keep.length} kept${leftovers.length ? `, ${leftovers.join(' and ')} removed` : ''}`,
    threshold: `${o.retentionDays === 0 ? 'no expiry' : `older than ${o.retentionDays} d`}, newest ${o.keepLast} always kept`,
  });
}
