import { basename } from 'node:path';
import { locateArchive, prefixOf } from '../../archive/locate.js';
import type { FoundArchive } from '../../archive/retention.js';
import { MEMBERS, type Manifest } from '../../archive/manifest.js';
import {
  markBackupUnusable,
  pushRun,
  recordPush,
} from '../../archive/metrics.js';
import type { MemberHooks, Verification } from '../../archive/verify.js';
import { compareCounts } from '../../archive/verify-checks.js';
import { errorMessage } from '../../errors.js';
import { urlEndpoint, type PgEndpoint } from '../../postgres/endpoint.js';
import {
  countTablesNow,
  createDatabase,
  databaseExists,
  dropDatabase,
  restoreStream,
} from '../../postgres/tools.js';
import { withDatabase, type PgTarget } from '../../postgres/url.js';
import { LocalRunner } from '../../process/runner.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import type { ProcedureContext, ProcedureOutcome } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { VerifyOptions } from './inputs.js';

/** Finds the archive to verify, warns about names from the future, returns its path. */
export async function findArchive(
  o: VerifyOptions,
  bucket: { list(prefix: string): Promise<FoundArchive[]> } | undefined,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<string> {
  const found = await locateArchive({ ...o, bucket, now: ctx.now() });
  if (found.future.length > 0)
    rb.check({
      name: 'future names',
      status: 'warning',
      observed: `${found.future.length} archive(s) named from the future were passed over`,
    });
  rb.target['archive'] = found.path;
  return found.path;
}

/** The scratch database the dump is restored into, and whether this run created it. */
export interface Scratch {
  target: PgTarget;
  ep: PgEndpoint;
  /** The maintenance database to create and drop it from. */
  admin: string;
  created: boolean;
}

/** Opens the scratch database's server; refuses a database that already exists. */
export async function openScratch(target: PgTarget): Promise<Scratch> {
  const ep = urlEndpoint(target, new LocalRunner());
  const admin = withDatabase(target, 'postgres').database;
  if (await databaseExists(ep, target.database, admin)) {
    throw new Error(
      `the scratch database ${target.database} already exists; pqc-ops only restores into a database it creates (drop it or choose another name)`,
    );
  }
  return { target, ep, admin, created: false };
}

/** Streams the dump into a scratch database created for it (none: no hooks). */
export function restoreHooks(scratch: Scratch | undefined): MemberHooks {
  if (!scratch) return {};
  return {
    database: async (chunks) => {
      await createDatabase(scratch.ep, scratch.target.database, scratch.admin);
      scratch.created = true;
      await restoreStream(scratch.ep, chunks, { clean: false, noOwner: true });
    },
  };
}

/** Checks the archive's age against max-age; returns it in seconds. */
export function checkAge(
  m: Manifest,
  maxAge: number | undefined,
  now: Date,
  rb: ResultBuilder,
): number {
  const ageSeconds = Math.max(
    0,
    (now.getTime() - Date.parse(m.endedAt)) / 1000,
  );
  const tooOld = maxAge !== undefined && ageSeconds * 1000 > maxAge;
  rb.check({
    name: 'archive age',
    status: tooOld ? 'failed' : 'ok',
    observed: `${(ageSeconds / 3600).toFixed(1)} h (written ${m.endedAt})${tooOld ? `, over the max-age of ${(maxAge ?? 0) / 3_600_000} h` : ''}`,
    threshold:
      maxAge !== undefined ? `at most ${maxAge / 3_600_000} h` : undefined,
  });
  return ageSeconds;
}

/**
 * Compares every table's row count in the scratch database with the
 * manifest; without a scratch database, warns that the dump was not restored.
 */
export async function checkRestore(
  v: Verification,
  scratch: Scratch | undefined,
  rb: ResultBuilder,
): Promise<void> {
  const m = v.manifest;
  const hasDump = m?.members.some((x) => x.name === MEMBERS.database) ?? false;
  if (v.ok && m?.database && scratch?.created) {
    const actual = await countTablesNow(scratch.ep, scratch.target.database);
    const diffs = compareCounts(m.database.tables, actual);
    rb.check({
      name: 'restore test',
      status: 'ok',
      observed: `pg_restore into scratch database ${scratch.target.database} succeeded`,
    });
    rb.check({
      name: 'row counts',
      status: diffs.length === 0 ? 'ok' : 'failed',
      observed:
        diffs.length === 0
          ? `${actual.length} table(s), ${actual.reduce((n, t) => n + t.rows, 0)} row(s) match the manifest`
          : `${diffs.length} difference(s)`,
      detail: diffs.length > 0 ? diffs.slice(0, 20).join('; ') : undefined,
    });
  } else if (hasDump && !scratch) {
    rb.check({
      name: 'restore test',
      status: 'warning',
      observed: 'skipped: no scratch-database-url',
      detail:
        'without a restore test the dump is only known to be intact, not restorable',
    });
  }
}

/** Drops the scratch database this run created; a failure is a warning. */
export async function dropScratch(
  scratch: Scratch,
  rb: ResultBuilder,
): Promise<void> {
  await dropDatabase(scratch.ep, scratch.target.database, scratch.admin).catch(
    (e: unknown) =>
      rb.check({
        name: 'scratch cleanup',
        status: 'warning',
        observed: errorMessage(e),
      }),
  );
}

/** `pqc_backup_verify_success`, the archive's age, and (failed) `pqc_backup_success 0`. */
export async function pushVerifyMetrics(
  o: Partial<VerifyOptions>,
  rb: ResultBuilder,
  ctx: ProcedureContext,
  prefix: string,
  ok: boolean,
  ageSeconds: number | undefined,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!ok) await markBackupUnusable(o.pushgatewayUrl, prefix);
    return pushRun(
      o.pushgatewayUrl,
      JOBS.backupVerify,
      prefix,
      ok,
      [
        gauge(METRICS.verifySuccess, ok ? 1 : 0),
        ...(ageSeconds !== undefined
          ? [gauge(METRICS.verifyArchiveAge, ageSeconds)]
          : []),
      ],
      gauge(METRICS.verifyLastSuccess, Math.floor(ctx.now().getTime() / 1000)),
    );
  });
}

/**
 * Records and pushes the metrics, then the result: one line naming the
 * first failed check when the archive did not pass.
 */
export async function conclude(
  o: VerifyOptions,
  rb: ResultBuilder,
  ctx: ProcedureContext,
  archivePath: string,
  ok: boolean,
  ageSeconds: number | undefined,
): Promise<ProcedureOutcome<'archive' | 'verified'>> {
  rb.metrics[METRICS.verifySuccess.name] = ok ? 1 : 0;
  if (ageSeconds !== undefined)
    rb.metrics[METRICS.verifyArchiveAge.name] = ageSeconds;
  await pushVerifyMetrics(
    o,
    rb,
    ctx,
    prefixOf(archivePath, o.prefix),
    ok,
    ageSeconds,
  );
  const firstFailed = rb.checks.find((c) => c.status === 'failed');
  const result = rb.finish(
    ok
      ? `Verified ${basename(archivePath)}: intact and restorable.`
      : `Verification failed: ${firstFailed?.observed ?? 'unknown'}`,
    ok ? undefined : 'failed',
  );
  return {
    result,
    outputs: { archive: archivePath, verified: String(ok) },
    failure: ok
      ? undefined
      : `backup-verify: ${firstFailed?.name ?? ''}: ${firstFailed?.observed ?? 'failed'}`,
  };
}
