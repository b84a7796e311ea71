import { dirname, join } from 'node:path';
import { ConfigurationError, RefusedError, errorMessage } from '../../errors.js';
import { Kube } from '../../kube/client.js';
import {
  parseIdentities,
  parseRecipients,
  recipientOf,
} from '../../archive/age.js';
import {
  restoreAppdataFrom,
  restoreDatabaseFrom,
} from '../../archive/restore-steps.js';
import { createBackup, type BackupSources } from '../../archive/create.js';
import { markBackupUnusable } from '../../archive/metrics.js';
import { objectState, targetState } from './live-state.js';
import type { Component } from '../../archive/manifest.js';
import { resolvePod } from '../../kube/pods.js';
import { compareCounts, verifyArchive } from '../../archive/verify.js';
import { runChangeControlled, type Mutation } from '../../plan/change-control.js';
import { serializePlan, type Plan, type PlannedChange } from '../../plan/plan.js';
import type { PgEndpoint } from '../../postgres/endpoint.js';
import { countTablesNow } from '../../postgres/tools.js';
import { ResultBuilder } from '../../report/step-result.js';
import type { CommandRunner } from '../../process/runner.js';
import { PQC_OPS_VERSION } from '../backup/procedure.js';
import {
  clusterConfigured,
  databaseEndpoint,
  databaseMode,
  parseComponents,
} from '../../postgres/source.js';
import { applyConfig } from '../../kube/apply-config.js';
import { restoreInputs } from './inputs.js';
import { locateArchive, prefixOf } from '../../archive/locate.js';
import { connect, holdLease, type ProcedureLease } from '../../kube/connect.js';
import { defineProcedure } from '../../procedure.js';

/** The runbook's "restore from last known good backup", under change control. */
export const restore = defineProcedure({
  name: 'restore',
  title: 'Restore database, configuration and app data from an archive',
  description:
    'Verifies an archive, plans what it would replace (database objects, ConfigMaps, Secrets, app data), and on apply takes a safety backup, restores, and checks row counts against the manifest.',
  inputs: restoreInputs,
  outputs: {
    archive: 'Path of the archive restored from.',
    plan: 'The plan, as JSON.',
    'plan-sha256':
      'The sha256 that identifies the plan; pass it to the apply step.',
    'plan-file': 'Path of the plan file, for an artifact.',
    applied: 'true when changes were executed.',
    'safety-backup': 'Path of the safety backup taken before apply.',
  },
  async run(o, ctx) {
    const wanted = parseComponents(o.components, 'components');
    const identities = o.ageIdentity ? parseIdentities(o.ageIdentity) : [];
    for (const id of identities) ctx.maskSecret(id);
    const found = await locateArchive(o);
    const rb = new ResultBuilder('restore', ctx.now, {
      archive: found.path,
      namespace: o.namespace,
    });
    const outputs: Record<string, string> = {
      archive: found.path,
      plan: '',
      'plan-sha256': '',
      'plan-file': '',
      applied: 'false',
      'safety-backup': '',
    };
    const v = await ctx.log.group('verify archive', () =>
      verifyArchive(found.path, identities, new Set()),
    );
    const bad = v.checks.find((c) => c.status === 'failed');
    if (!v.manifest || bad) {
      rb.checks.push(...v.checks);
      await markBackupUnusable(
        o.pushgatewayUrl,
        prefixOf(found.path, o.prefix),
      ).catch((e: unknown) => ctx.log.warning(errorMessage(e)));
      const why = `the archive failed verification (${bad?.observed ?? 'no manifest'}); refusing to restore from it`;
      return {
        result: rb.finish(`Restore refused: ${why}`, 'failed'),
        outputs,
        failure: `restore: ${why}`,
      };
    }
    const manifest = v.manifest;
    rb.check({
      name: 'archive verified',
      status: 'ok',
      observed: `${manifest.members.length} member(s) match the manifest written ${manifest.endedAt}`,
    });
    const inArchive = new Set<Component>(
      manifest.members.map((m) => m.component),
    );
    const comps = [...wanted].filter((c) => inArchive.has(c));
    for (const c of [...wanted].filter((x) => !inArchive.has(x))) {
      rb.check({ name: c, status: 'skipped', observed: 'not in the archive' });
    }
    const dbMode = comps.includes('database')
      ? databaseMode(o, true)
      : undefined;
    const needKube =
      dbMode === 'exec' ||
      comps.includes('config') ||
      comps.includes('appdata');
    if (needKube && !clusterConfigured(o.kubeconfig, ctx.env))
      throw new ConfigurationError(
        "restoring config, app data or through exec needs cluster credentials: set input 'kubeconfig'",
      );
    if (comps.includes('appdata') && !o.appdataPod && !o.appdataSelector)
      throw new ConfigurationError(
        "restoring appdata needs input 'appdata-pod' or 'appdata-selector'",
      );
    const recipients = await parseRecipients(
      o.ageRecipients.length > 0
        ? o.ageRecipients
        : await Promise.all(identities.slice(0, 1).map(recipientOf)),
    );
    const kube = needKube ? await connect(o, ctx) : undefined;
    const ep: PgEndpoint | undefined = dbMode
      ? await databaseEndpoint(o, dbMode, kube, o.namespace, ctx.maskSecret)
      : undefined;
    const app: CommandRunner | undefined =
      kube && comps.includes('appdata')
        ? await resolvePod(kube, o.namespace, {
            pod: o.appdataPod,
            selector: o.appdataSelector,
            container: o.appdataContainer,
            what: 'application pod',
          })
        : undefined;
    const appPath = o.appdataPath || manifest.source.appdata?.path || '/data';
    const docs = comps.includes('config') ? (v.configDocs ?? []) : [];
    const docRef = (d: Record<string, unknown>) => ({
      kind: d['kind'] as 'ConfigMap' | 'Secret',
      name: String((d['metadata'] as { name: string }).name),
    });

    const live = () =>
      targetState({
        ep,
        kube,
        namespace: o.namespace,
        objects: docs.map(docRef),
        app,
        appPath,
        archiveTables: manifest.database?.tables.length ?? 0,
      });

    let lease: ProcedureLease | undefined;
    let failure: string | undefined;
    const m: Mutation = {
      procedure: 'restore',
      async makePlan(): Promise<Plan> {
        const refs = await live();
        const undo =
          'restore the safety backup taken before apply (output safety-backup)';
        const changes: PlannedChange[] = refs.map((r) => ({
          object: r.object,
          action: r.object.startsWith('database')
            ? "replace with the archive's dump (pg_restore --clean --if-exists --single-transaction)"
            : r.object.startsWith('path')
              ? 'extract appdata.tar over it (tar -x)'
              : `${r.note} from config.yaml`,
          reason: `restore from ${found.path.split('/').pop() ?? ''} (${r.note})`,
          undo,
        }));
        return {
          apiVersion: 'pqc-ops/v1',
          kind: 'Plan',
          procedure: 'restore',
          target: {
            server: kube?.server,
            namespaces: [o.namespace],
            database: ep?.database,
            archive: found.path,
            archiveSha256: manifest.members.map((x) => x.sha256).join(','),
          },
          createdAt: ctx.now().toISOString(),
          basis: refs.map(({ note: _n, ...r }) => r),
          changes,
        };
      },
      liveState: async () => (await live()).map(({ note: _n, ...r }) => r),
      mismatch(plan) {
        if (plan.target['archive'] !== found.path)
          return `it restores ${String(plan.target['archive'])}, this run ${found.path}`;
        if (
          plan.target['archiveSha256'] !==
          manifest.members.map((x) => x.sha256).join(',')
        )
          return 'the archive changed since the plan';
        return undefined;
      },
      async execute() {
        if (kube)
          lease = await holdLease(kube, ctx, {
            namespace: o.namespace,
            name: o.lockName,
            durationMs: o.lockDuration,
          });
        const src: BackupSources = {};
        if (ep) src.database = { endpoint: ep, via: dbMode ?? 'url' };
        if (kube && docs.length > 0)
          src.config = {
            kube,
            namespace: o.namespace,
            selector: manifest.source.configSelector || undefined,
          };
        if (app) src.appdata = { runner: app, path: appPath };
        const safety = await ctx.log.group('safety backup', () =>
          createBackup(src, {
            dir: o.safetyDestination || dirname(found.path),
            prefix: o.safetyPrefix,
            recipients,
            allowPlaintextSecrets: o.allowPlaintextSecrets,
            now: ctx.now,
            info: ctx.log.info,
            mask: ctx.maskSecret,
            cluster: kube?.server,
            namespace: o.namespace,
            version: PQC_OPS_VERSION,
          }),
        );
        outputs['safety-backup'] = safety.archive.path;
        rb.artifacts.push({
          path: safety.archive.path,
          sha256: safety.archive.sha256,
          size: safety.archive.size,
        });
        rb.change(
          'took a safety backup',
          safety.archive.path,
          'none needed (delete the file when no longer wanted)',
        );
        const undo = `restore from the safety backup ${safety.archive.path}`;
        if (ep) {
          await restoreDatabaseFrom(found.path, identities, manifest, ep);
          rb.change(
            'restored the database (pg_restore --clean --if-exists --single-transaction)',
            ep.describe,
            undo,
          );
        }
        for (const d of docs) {
          const what = await applyConfig(kube as Kube, o.namespace, d);
          rb.change(
            what,
            `${docRef(d).kind} ${o.namespace}/${docRef(d).name}`,
            undo,
          );
        }
        if (app) {
          await restoreAppdataFrom(
            found.path,
            identities,
            manifest,
            app,
            appPath,
          );
          rb.change('extracted app data', `${appPath} in ${app.where}`, undo);
        }
      },
      async verify() {
        if (ep && manifest.database) {
          const diffs = compareCounts(
            manifest.database.tables,
            await countTablesNow(ep),
          );
          rb.check({
            name: 'row counts',
            status: diffs.length === 0 ? 'ok' : 'failed',
            observed:
              diffs.length === 0
                ? `${manifest.database.tables.length} table(s) match the manifest`
                : diffs.slice(0, 10).join('; '),
          });
        }
        for (const d of docs) {
          const s = await objectState(
            kube as Kube,
            docRef(d).kind,
            o.namespace,
            docRef(d).name,
          );
          rb.check({
            name: `${docRef(d).kind} ${docRef(d).name}`,
            status: s.exists ? 'ok' : 'failed',
            observed: s.exists ? 'present' : 'missing after restore',
          });
        }
      },
    };
    try {
      const cc = await runChangeControlled(
        m,
        o,
        rb,
        join(ctx.tempDir, 'plans'),
      );
      Object.assign(outputs, {
        plan: serializePlan(cc.plan),
        'plan-sha256': cc.sha256,
        'plan-file': cc.planFile,
        applied: String(cc.applied),
      });
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      failure = `restore: ${errorMessage(e)}`;
      rb.check({
        name: 'restore',
        status: 'failed',
        observed: errorMessage(e),
        detail: e instanceof RefusedError ? 'nothing was changed' : undefined,
      });
    } finally {
      await lease?.release();
    }
    const failedCheck = rb.checks.find((c) => c.status === 'failed');
    if (!failure && failedCheck)
      failure = `restore: ${failedCheck.name}: ${failedCheck.observed}`;
    const summary = failure
      ? `Restore failed: ${failure.replace(/^restore: /, '')}`
      : outputs['applied'] === 'true'
        ? `Restored ${comps.join(', ')} from ${found.path}.`
        : `Planned: restore ${comps.join(', ')} from ${found.path} (not applied).`;
    return {
      result: rb.finish(summary, failure ? 'failed' : undefined),
      outputs,
      failure,
    };
  },
});
