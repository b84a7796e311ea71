import { mkdir, rm, stat } from 'node:fs/promises';
import { ConfigurationError, errorMessage } from '../../errors.js';
import { parseRecipients } from '../../archive/age.js';
import { createBackup, type BackupSources } from '../../archive/create.js';
import { pushRun, recordPush } from '../../archive/metrics.js';
import { tableName } from '../../archive/manifest.js';
import { resolvePod } from '../../kube/pods.js';
import {
  applyRetention,
  listArchives,
  planRetention,
  staleTemporaries,
  validPrefix,
} from '../../archive/retention.js';
import { ResultBuilder } from '../../report/step-result.js';
import { backupInputs as inputs } from '../../inputs/groups-archive.js';
import {
  clusterConfigured,
  databaseEndpoint,
  databaseMode,
  parseComponents,
} from '../../postgres/source.js';
import { connect, holdLease, type ProcedureLease } from '../../kube/connect.js';
import { defineProcedure } from '../../procedure.js';

/** Written into every manifest. */
export const PQC_OPS_VERSION = '0.1.0';

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
  inputs,
  outputs: {
    archive: 'Path of the archive written.',
    sha256: 'sha256 of the archive file.',
    size: 'Size of the archive file in bytes.',
  },
  async run(o, ctx) {
    const include = parseComponents(o.include, 'include');
    if (include.size === 0)
      throw new ConfigurationError(
        "input 'include' is empty: give a list of database, config, appdata",
      );
    if (!validPrefix(o.prefix))
      throw new ConfigurationError(
        "input 'prefix' must be letters, digits, '.', '_' or '-' (starting with a letter or digit)",
      );
    const dbMode = include.has('database') ? databaseMode(o, true) : undefined;
    if (o.appdataPod && o.appdataSelector)
      throw new ConfigurationError(
        "give either input 'appdata-pod' or 'appdata-selector', not both",
      );
    const recipients = await parseRecipients(o.ageRecipients);
    const hasCluster = clusterConfigured(o.kubeconfig, ctx.env);
    const wantAppdata =
      include.has('appdata') && Boolean(o.appdataPod || o.appdataSelector);
    if ((dbMode === 'exec' || wantAppdata) && !hasCluster) {
      throw new ConfigurationError(
        "the exec path (postgres-pod/-selector, appdata-pod/-selector) needs cluster credentials: set input 'kubeconfig'",
      );
    }
    await mkdir(o.destination, { recursive: true });
    if (!(await stat(o.destination)).isDirectory())
      throw new ConfigurationError(
        `input 'destination': ${o.destination} is not a directory`,
      );

    const rb = new ResultBuilder('backup', ctx.now, {
      destination: o.destination,
      prefix: o.prefix,
      namespace: o.namespace,
    });
    const t0 = ctx.now();
    let lease: ProcedureLease | undefined;
    const outputs: Record<string, string> = {
      archive: '',
      sha256: '',
      size: '',
    };
    let failure: string | undefined;
    let size = 0;
    try {
      const kube = hasCluster ? await connect(o, ctx) : undefined;
      if (kube) {
        rb.target['cluster'] = kube.server;
        lease = await holdLease(kube, ctx, {
          namespace: o.namespace,
          name: o.lockName,
          durationMs: o.lockDuration,
        });
        rb.check({
          name: 'lock',
          status: 'ok',
          observed: `holding Lease ${o.namespace}/${o.lockName}`,
        });
      } else {
        ctx.log.warning(
          'no cluster credentials: running a database-only backup without the Lease, so nothing prevents an overlapping run',
        );
        rb.check({
          name: 'lock',
          status: 'skipped',
          observed: 'no cluster credentials: ran without a Lease',
        });
      }
      const src: BackupSources = {};
      if (dbMode)
        src.database = {
          endpoint: await databaseEndpoint(
            o,
            dbMode,
            kube,
            o.namespace,
            ctx.maskSecret,
          ),
          via: dbMode,
        };
      if (include.has('config')) {
        if (kube)
          src.config = {
            kube,
            namespace: o.namespace,
            selector: o.configSelector,
          };
        else
          rb.check({
            name: 'config',
            status: 'skipped',
            observed:
              'no cluster credentials: ConfigMaps and Secrets not archived',
          });
      }
      if (include.has('appdata')) {
        if (kube && wantAppdata) {
          const runner = await resolvePod(kube, o.namespace, {
            pod: o.appdataPod,
            selector: o.appdataSelector,
            container: o.appdataContainer,
            what: 'application pod',
          });
          src.appdata = { runner, path: o.appdataPath };
        } else
          rb.check({
            name: 'appdata',
            status: 'skipped',
            observed:
              'no appdata-pod or appdata-selector: app data not archived',
          });
      }
      const res = await ctx.log.group('backup', () =>
        createBackup(src, {
          dir: o.destination,
          prefix: o.prefix,
          recipients,
          allowPlaintextSecrets: o.allowPlaintextSecrets,
          now: ctx.now,
          info: ctx.log.info,
          mask: ctx.maskSecret,
          cluster: kube?.server,
          namespace: kube ? o.namespace : undefined,
          version: PQC_OPS_VERSION,
        }),
      );
      const m = res.manifest;
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
        observed: `${res.archive.size} bytes; sha256 re-read from disk matches`,
        threshold: 'member checksums and file sha256 verified before rename',
      });
      rb.artifacts.push({
        path: res.archive.path,
        sha256: res.archive.sha256,
        size: res.archive.size,
      });
      if (m.database) {
        rb.details.push(
          [
            "#### Tables (rows in the dump's snapshot)",
            '',
            ...m.database.tables.map((t) => `- ${tableName(t)}: ${t.rows}`),
          ].join('\n'),
        );
      }
      if (!recipients)
        rb.followUps.push(
          'The archive is not encrypted: set age-recipients (age1pq1... for post-quantum protection).',
        );
      size = res.archive.size;
      outputs['archive'] = res.archive.path;
      outputs['sha256'] = res.archive.sha256;
      outputs['size'] = String(res.archive.size);
      // Retention runs only after this run's archive is safely in place.
      const plan = planRetention(
        await listArchives(o.destination, o.prefix),
        ctx.now(),
        o.retentionDays,
        o.keepLast,
      );
      const deleted = await applyRetention(plan);
      for (const d of deleted)
        rb.change(
          'deleted expired archive',
          `${o.destination}/${d}`,
          'none: restore it from off-site copies if needed',
        );
      const stale = await staleTemporaries(
        o.destination,
        o.prefix,
        ctx.now(),
        o.lockDuration,
      );
      for (const s of stale) await rm(s, { force: true });
      rb.check({
        name: 'retention',
        status: 'ok',
        observed: `${deleted.length} expired archive(s) deleted, ${plan.keep.length} kept${stale.length ? `, ${stale.length} stale temporary file(s) removed` : ''}`,
        threshold: `${o.retentionDays === 0 ? 'no expiry' : `older than ${o.retentionDays} d`}, newest ${o.keepLast} always kept`,
      });
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      failure = `backup: ${errorMessage(e)}`;
      rb.check({ name: 'backup', status: 'failed', observed: errorMessage(e) });
      rb.followUps.push(
        'Nothing was deleted and no archive was left behind; fix the cause and run the backup again.',
      );
    } finally {
      await lease?.release();
    }
    const seconds = (ctx.now().getTime() - t0.getTime()) / 1000;
    rb.metrics['pqc_backup_success'] = failure ? 0 : 1;
    rb.metrics['pqc_backup_duration_seconds'] = seconds;
    if (!failure) rb.metrics['pqc_backup_size_bytes'] = size;
    await recordPush(rb, () =>
      pushRun(
        o.pushgatewayUrl,
        'pqc-ops-backup',
        o.prefix,
        !failure,
        [
          {
            name: 'pqc_backup_success',
            help: '1 if the last backup run succeeded, else 0.',
            value: failure ? 0 : 1,
          },
          {
            name: 'pqc_backup_duration_seconds',
            help: 'Duration of the last backup run.',
            value: seconds,
          },
          ...(failure
            ? []
            : [
                {
                  name: 'pqc_backup_size_bytes',
                  help: 'Size of the last archive written.',
                  value: size,
                },
              ]),
        ],
        {
          name: 'pqc_backup_last_success_timestamp_seconds',
          help: 'Unix time of the last successful backup.',
          value: Math.floor(ctx.now().getTime() / 1000),
        },
      ),
    );
    const result = rb.finish(
      failure
        ? `Backup failed: ${failure.replace(/^backup: /, '')}`
        : `Backup written: ${outputs['archive']} (${size} bytes).`,
      failure ? 'failed' : undefined,
    );
    return { result, outputs, failure };
  },
});
