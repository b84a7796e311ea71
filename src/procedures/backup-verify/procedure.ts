import { DEFAULT_PREFIX } from '../../archive/naming.js';
import { basename } from 'node:path';
import { ConfigurationError, errorMessage } from '../../errors.js';
import { input } from '../../inputs/spec.js';
import { parseIdentities } from '../../archive/age.js';
import {
  markBackupUnusable,
  pushRun,
  recordPush,
} from '../../archive/metrics.js';
import { MEMBERS } from '../../archive/manifest.js';
import {
  compareCounts,
  verifyArchive,
  type MemberHooks,
} from '../../archive/verify.js';
import { urlEndpoint } from '../../postgres/endpoint.js';
import {
  countTablesNow,
  createDatabase,
  databaseExists,
  dropDatabase,
  restoreStream,
} from '../../postgres/tools.js';
import { parsePgUrl, withDatabase } from '../../postgres/url.js';
import { ResultBuilder } from '../../report/step-result.js';
import { LocalRunner } from '../../process/runner.js';
import {
  archiveLocationInputs,
  pushgatewayInput,
} from '../../inputs/groups-archive.js';
import { parseComponents } from '../../archive/components.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import type { OptionsOf } from '../../inputs/spec.js';
import type { ProcedureContext } from '../../procedure.js';
import { checkPrefix } from '../../inputs/groups-archive.js';
import { assertPlainPath } from '../../report/escape.js';
import { locateArchive, prefixOf } from '../../archive/locate.js';
import { defineProcedure } from '../../procedure.js';

const inputs = {
  ...archiveLocationInputs,
  archive: input.path('archive', {
    description:
      'The archive to verify. Empty: the newest archive of prefix in destination.',
  }),
  ageIdentity: input.string('age-identity', {
    secret: true,
    description:
      "age identity (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1..., an identity file's text) for encrypted archives.",
  }),
  scratchDatabaseUrl: input.string('scratch-database-url', {
    secret: true,
    description:
      'URL of a scratch database to restore the dump into (postgres://user:password@host/scratch_name). The action creates it, refusing if it exists, and drops it afterwards. Empty: no restore test (warning).',
  }),
  require: input.list('require', {
    default: 'database',
    description: 'Components the archive must hold: database, config, appdata.',
  }),
  maxAge: input.optionalDuration('max-age', {
    description:
      'Fail when the archive is older than this (e.g. 26h). Empty: age reported only.',
  }),
  ...pushgatewayInput,
};

/** The runbook's weekly backup verification, done properly: restore it and count. */
export const backupVerify = defineProcedure({
  name: 'backup-verify',
  title: 'Verify a backup by restoring it',
  description:
    "Decrypts the newest archive, checks every member against the manifest, parses config.yaml, restores the dump into a scratch database and compares every table's row count with the manifest.",
  inputs,
  outputs: {
    archive: 'Path of the archive verified.',
    verified: 'true when every check passed.',
  },
  validate(o) {
    parseComponents(o.require, 'require');
    checkPrefix(o.prefix, 'prefix');
    if (o.destination) assertPlainPath(o.destination, 'destination');
    const scratch = o.scratchDatabaseUrl
      ? parsePgUrl(
          o.scratchDatabaseUrl,
          'scratch-database-url',
          () => undefined,
        )
      : undefined;
    if (
      scratch &&
      ['postgres', 'template0', 'template1'].includes(scratch.database)
    ) {
      throw new ConfigurationError(
        `input 'scratch-database-url' names ${scratch.database}: give the name of a scratch database that does not exist yet`,
      );
    }
  },
  async run(o, ctx) {
    const required = parseComponents(o.require, 'require');
    const identities = o.ageIdentity ? parseIdentities(o.ageIdentity) : [];
    for (const id of identities) ctx.maskSecret(id);
    const scratch = o.scratchDatabaseUrl
      ? parsePgUrl(o.scratchDatabaseUrl, 'scratch-database-url', ctx.maskSecret)
      : undefined;
    const rb = ctx.record({
      prefix: o.prefix,
    });
    let archivePath = '';
    let ok = false;
    let ageSeconds: number | undefined;
    try {
      const found = await locateArchive({ ...o, now: ctx.now() });
      if (found.future.length > 0)
        rb.check({
          name: 'future names',
          status: 'warning',
          observed: `${found.future.length} archive(s) named from the future were passed over`,
        });
      archivePath = found.path;
      rb.target['archive'] = archivePath;
      const ep = scratch ? urlEndpoint(scratch, new LocalRunner()) : undefined;
      const admin = scratch ? withDatabase(scratch, 'postgres').database : '';
      let created = false;
      const hooks: MemberHooks = {};
      if (ep && scratch) {
        if (await databaseExists(ep, scratch.database, admin)) {
          throw new Error(
            `the scratch database ${scratch.database} already exists; pqc-ops only restores into a database it creates (drop it or choose another name)`,
          );
        }
        hooks.database = async (chunks) => {
          await createDatabase(ep, scratch.database, admin);
          created = true;
          await restoreStream(ep, chunks, { clean: false, noOwner: true });
        };
      }
      try {
        const v = await ctx.log.group('verify archive', () =>
          verifyArchive(archivePath, identities, required, hooks, {
            now: ctx.now(),
          }),
        );
        rb.checks.push(...v.checks);
        const m = v.manifest;
        if (m) {
          ageSeconds = Math.max(
            0,
            (ctx.now().getTime() - Date.parse(m.endedAt)) / 1000,
          );
          const tooOld = o.maxAge !== undefined && ageSeconds * 1000 > o.maxAge;
          rb.check({
            name: 'archive age',
            status: tooOld ? 'failed' : 'ok',
            observed: `${(ageSeconds / 3600).toFixed(1)} h (written ${m.endedAt})${tooOld ? `, over the max-age of ${(o.maxAge ?? 0) / 3_600_000} h` : ''}`,
            threshold:
              o.maxAge !== undefined
                ? `at most ${o.maxAge / 3_600_000} h`
                : undefined,
          });
        }
        const hasDump =
          m?.members.some((x) => x.name === MEMBERS.database) ?? false;
        if (v.ok && m?.database && ep && scratch && created) {
          const actual = await countTablesNow(ep, scratch.database);
          const diffs = compareCounts(m.database.tables, actual);
          rb.check({
            name: 'restore test',
            status: 'ok',
            observed: `pg_restore into scratch database ${scratch.database} succeeded`,
          });
          rb.check({
            name: 'row counts',
            status: diffs.length === 0 ? 'ok' : 'failed',
            observed:
              diffs.length === 0
                ? `${actual.length} table(s), ${actual.reduce((n, t) => n + t.rows, 0)} row(s) match the manifest`
                : `${diffs.length} difference(s)`,
            detail:
              diffs.length > 0 ? diffs.slice(0, 20).join('; ') : undefined,
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
      } finally {
        if (created && ep && scratch)
          await dropDatabase(ep, scratch.database, admin).catch((e: unknown) =>
            rb.check({
              name: 'scratch cleanup',
              status: 'warning',
              observed: errorMessage(e),
            }),
          );
      }
      ok = rb.checks.every((c) => c.status !== 'failed');
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      rb.check({ name: 'verify', status: 'failed', observed: errorMessage(e) });
    }
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
  },
  async onFailure(o, _failure, ctx) {
    const rb = new ResultBuilder('backup-verify', ctx.now);
    await pushVerifyMetrics(
      o,
      rb,
      ctx,
      o.prefix ?? DEFAULT_PREFIX,
      false,
      undefined,
    );
    return rb.checks;
  },
  failureOutputs: { verified: 'false' },
});

type VerifyOptions = OptionsOf<typeof inputs>;

/** `pqc_backup_verify_success`, the archive's age, and (failed) `pqc_backup_success 0`. */
async function pushVerifyMetrics(
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
