import { parseIdentities } from '../../archive/age.js';
import { parseComponents } from '../../archive/components.js';
import { DEFAULT_PREFIX } from '../../archive/naming.js';
import { verifyArchive } from '../../archive/verify.js';
import { ConfigurationError, errorMessage } from '../../errors.js';
import { checkPrefix, readerLocations } from '../../inputs/groups-archive.js';
import { archiveAccess } from '../../storage/s3-archives.js';
import { parsePgUrl } from '../../postgres/url.js';
import { defineProcedure } from '../../procedure.js';
import { ResultBuilder } from '../../report/step-result.js';
import { verifyInputs } from './inputs.js';
import {
  checkAge,
  checkRestore,
  conclude,
  dropScratch,
  findArchive,
  openScratch,
  pushVerifyMetrics,
  restoreHooks,
} from './steps.js';

/** The runbook's weekly backup verification, done properly: restore it and count. */
export const backupVerify = defineProcedure({
  name: 'backup-verify',
  title: 'Verify a backup by restoring it',
  description:
    "Decrypts the newest archive, checks every member against the manifest, parses config.yaml, restores the dump into a scratch database and compares every table's row count with the manifest.",
  inputs: verifyInputs,
  outputs: {
    archive: 'Path (or s3:// URL) of the archive verified.',
    verified: 'true when every check passed.',
  },
  validate(o) {
    parseComponents(o.require, 'require');
    checkPrefix(o.prefix, 'prefix');
    readerLocations(o);
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
    const scratchUrl = o.scratchDatabaseUrl
      ? parsePgUrl(o.scratchDatabaseUrl, 'scratch-database-url', ctx.maskSecret)
      : undefined;
    const rb = ctx.record({ prefix: o.prefix });
    let archivePath = '';
    let ok = false;
    let ageSeconds: number | undefined;
    try {
      const access = await archiveAccess(o, readerLocations(o), ctx.signal);
      archivePath = await findArchive(o, access.bucket, ctx, rb);
      const scratch = scratchUrl ? await openScratch(scratchUrl) : undefined;
      try {
        const v = await ctx.log.group('verify archive', () =>
          verifyArchive(
            archivePath,
            identities,
            required,
            restoreHooks(scratch),
            { now: ctx.now(), remote: access.remote },
          ),
        );
        rb.checks.push(...v.checks);
        if (v.manifest)
          ageSeconds = checkAge(v.manifest, o.maxAge, ctx.now(), rb);
        await checkRestore(v, scratch, rb);
      } finally {
        if (scratch?.created) await dropScratch(scratch, rb);
      }
      ok = rb.checks.every((c) => c.status !== 'failed');
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      rb.check({ name: 'verify', status: 'failed', observed: errorMessage(e) });
    }
    return conclude(o, rb, ctx, archivePath, ok, ageSeconds);
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
