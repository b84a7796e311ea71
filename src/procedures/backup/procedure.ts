import { DEFAULT_PREFIX } from '../../archive/naming.js';
import { parseRecipients } from '../../archive/age.js';
import { parseComponents } from '../../archive/components.js';
import { pushRun, recordPush } from '../../archive/metrics.js';
import { ConfigurationError, errorMessage } from '../../errors.js';
import {
  checkAppdataSource,
  checkPrefix,
} from '../../inputs/groups-archive.js';
import { connect, type ProcedureLease } from '../../kube/connect.js';
import { clusterConfigured } from '../../kube/credentials.js';
import { databaseMode } from '../../postgres/source.js';
import { parsePgUrl } from '../../postgres/url.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { ResultBuilder } from '../../report/step-result.js';
import { backupInputs, type BackupOptions } from './inputs.js';
import {
  prepareDestination,
  removeStale,
  resolveSources,
  retain,
  placeOf,
  takeLock,
  writeBackup,
} from './steps.js';

/**
 * The runbook's backup automation: database dump, ConfigMaps and Secrets,
 * app data, in one checksummed (and optionally age-encrypted) archive, with
 * retention, a Lease and Pushgateway metrics.
 */
export const backup = defineProcedure({
  name: 'backup',
  title: 'Back up database, configuration and app data',
  description:
    'Writes one archive (pg_dump custom format, ConfigMaps and Secrets, app data, manifest with checksums and row counts), optionally age-encrypted, verifies it, applies retention and pushes metrics.',
  inputs: backupInputs,
  outputs: {
    archive: 'Path of the archive written, or its s3:// URL.',
    sha256: 'sha256 of the archive file.',
    size: 'Size of the archive file in bytes.',
  },
  validate(o, env) {
    const include = parseComponents(o.include, 'include');
    checkPrefix(o.prefix, 'prefix');
    checkAppdataSource(o);
    placeOf(o);
    const db = include.has('database') ? databaseMode(o, true) : undefined;
    if (db === 'url')
      parsePgUrl(o.databaseUrl ?? '', 'database-url', () => undefined);
    const cluster = clusterConfigured(o.kubeconfig, env);
    const needs: string[] = [];
    if (include.has('config') && !cluster)
      needs.push("config needs cluster credentials ('kubeconfig')");
    if (include.has('appdata') && !(o.appdataPod || o.appdataSelector))
      needs.push("appdata needs 'appdata-pod' or 'appdata-selector'");
    if (include.has('appdata') && !cluster)
      needs.push("appdata needs cluster credentials ('kubeconfig')");
    if (db === 'exec' && !cluster)
      needs.push(
        "the exec path (postgres-pod/-selector) needs cluster credentials ('kubeconfig')",
      );
    if (needs.length > 0)
      throw new ConfigurationError(
        `input 'include' asks for what cannot be archived: ${needs.join('; ')}. Give those inputs or remove the component from 'include'`,
      );
  },
  async run(o, ctx) {
    const include = parseComponents(o.include, 'include');
    const recipients = await parseRecipients(o.ageRecipients);
    const place = placeOf(o);
    if ('dir' in place) await prepareDestination(place.dir);
    const rb = ctx.record({
      destination: o.destination,
      prefix: o.prefix,
      namespace: o.namespace,
    });
    const t0 = ctx.now();
    const outputs = { archive: '', sha256: '', size: '' };
    let why: string | undefined;
    let lease: ProcedureLease | undefined;
    try {
      const kube = clusterConfigured(o.kubeconfig, ctx.env)
        ? await connect(o, ctx)
        : undefined;
      lease = await takeLock(o, kube, ctx, rb);
      const removed = 'dir' in place ? await removeStale(o, ctx) : [];
      if (removed.length > 0)
        rb.check({
          name: 'leftovers',
          status: 'ok',
          observed: `${removed.join(' and ')} removed (left by runs that died)`,
        });
      const src = await resolveSources(o, include, kube, ctx);
      ctx.signal.throwIfAborted();
      const archive = await writeBackup(
        o,
        place,
        src,
        include,
        recipients,
        kube,
        ctx,
        rb,
      );
      Object.assign(outputs, {
        archive: archive.path,
        sha256: archive.sha256,
        size: String(archive.size),
      });
      ctx.signal.throwIfAborted();
      await retain(o, place, ctx, rb);
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      why = ctx.signal.aborted ? 'cancelled' : errorMessage(e);
      rb.check({ name: 'backup', status: 'failed', observed: why });
      rb.followUps.push(
        'Retention did not run and no partial archive was left behind; fix the cause and run the backup again.',
      );
    } finally {
      await lease?.release();
    }
    const seconds = (ctx.now().getTime() - t0.getTime()) / 1000;
    await pushBackupMetrics(
      o,
      rb,
      ctx,
      why ? undefined : Number(outputs.size),
      seconds,
    );
    const result = rb.finish(
      why
        ? `Backup failed: ${why}`
        : `Backup written: ${outputs.archive} (${outputs.size} bytes).`,
      why ? 'failed' : undefined,
    );
    return { result, outputs, failure: why && `backup: ${why}` };
  },
  async onFailure(o, _failure, ctx) {
    const rb = new ResultBuilder('backup', ctx.now);
    await pushBackupMetrics(o, rb, ctx, undefined, 0);
    return rb.checks;
  },
});

/**
 * `pqc_backup_success` (1 or 0), the duration, and on success the size and
 * the last-success timestamp; recorded as the `metrics` check.
 */
async function pushBackupMetrics(
  o: Partial<BackupOptions>,
  rb: ResultBuilder,
  ctx: ProcedureContext,
  size: number | undefined,
  seconds: number,
): Promise<void> {
  const ok = size !== undefined;
  rb.metrics[METRICS.backupSuccess.name] = ok ? 1 : 0;
  rb.metrics[METRICS.backupDuration.name] = seconds;
  if (ok) rb.metrics[METRICS.backupSize.name] = size;
  await recordPush(rb, () =>
    pushRun(
      o.pushgatewayUrl,
      JOBS.backup,
      o.prefix ?? DEFAULT_PREFIX,
      ok,
      [
        gauge(METRICS.backupSuccess, ok ? 1 : 0),
        gauge(METRICS.backupDuration, seconds),
        ...(ok ? [gauge(METRICS.backupSize, size)] : []),
      ],
      gauge(METRICS.backupLastSuccess, Math.floor(ctx.now().getTime() / 1000)),
    ),
  );
}
