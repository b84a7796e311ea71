import { isBucketUrl } from '../../storage/location.js';
import { archiveAccess, folderOf } from '../../storage/s3-archives.js';
import { bucketTarget } from '../../storage/s3-target.js';
import {
  parseIdentities,
  parseRecipients,
  recipientOf,
} from '../../archive/age.js';
import { parseComponents } from '../../archive/components.js';
import { markBackupUnusable } from '../../archive/metrics.js';
import { prefixOf } from '../../archive/locate.js';
import { errorMessage } from '../../errors.js';
import {
  checkAppdataSource,
  checkPrefix,
  readerLocations,
} from '../../inputs/groups-archive.js';
import type { OptionsOf } from '../../inputs/spec.js';
import { clusterConfigured } from '../../kube/credentials.js';
import { connect } from '../../kube/connect.js';
import { resolvePod } from '../../kube/pods.js';
import {
  changeControlOutputs,
  checkPlanInput,
  changeControlValues,
  runChangeControlled,
} from '../../plan/change-control.js';
import { databaseEndpoint, databaseMode } from '../../postgres/source.js';
import { parsePgUrl } from '../../postgres/url.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { PQC_OPS_VERSION } from '../../version.js';
import { restoreInputs } from './inputs.js';
import { restoreMutation, type RestoreTarget } from './mutation.js';
import {
  checkRestorable,
  verifiedArchive,
  type VerifiedArchive,
} from './prepare.js';

type RestoreOptions = OptionsOf<typeof restoreInputs>;

/** The runbook's "restore from last known good backup", under change control. */
export const restore = defineProcedure({
  name: 'restore',
  title: 'Restore database, configuration and app data from an archive',
  description:
    'Verifies an archive, plans what it would replace (database objects, ConfigMaps, Secrets, app data), and on apply takes a safety backup, restores exactly the planned objects, and checks row counts against the manifest.',
  inputs: restoreInputs,
  outputs: {
    archive: 'Path of the archive restored from.',
    ...changeControlOutputs,
    'safety-backup': 'Path of the safety backup taken before apply.',
  },
  validate(o) {
    parseComponents(o.components, 'components');
    if (databaseMode(o, false) === 'url')
      parsePgUrl(o.databaseUrl ?? '', 'database-url', () => undefined);
    checkPlanInput(o, 'restore');
    checkAppdataSource(o);
    checkPrefix(o.prefix, 'prefix');
    checkPrefix(o.safetyPrefix, 'safety-prefix');
    readerLocations(o);
  },
  async run(o, ctx) {
    const identities = o.ageIdentity ? parseIdentities(o.ageIdentity) : [];
    for (const id of identities) ctx.maskSecret(id);
    const wanted = parseComponents(o.components, 'components');
    const s3 = readerLocations(o);
    const access = await archiveAccess(o, s3, ctx.signal);
    const found = await ctx.log.group('verify archive', () =>
      verifiedArchive(o, identities, wanted, ctx.now(), access),
    );
    const rb = ctx.record({
      archive: found.path,
      namespace: o.namespace,
    });
    const outputs = {
      archive: found.path,
      ...changeControlValues(undefined),
      'safety-backup': '',
    };
    if ('failed' in found) {
      rb.checks.push(...found.failed);
      await markBackupUnusable(
        o.pushgatewayUrl,
        prefixOf(found.path, o.prefix),
      ).catch((e: unknown) => ctx.log.warning(errorMessage(e)));
      const bad = found.failed.find((c) => c.status === 'failed');
      const why = `the archive failed verification (${bad?.observed ?? 'no manifest'}); refusing to restore from it`;
      return {
        result: rb.finish(`Restore refused: ${why}`, 'failed'),
        outputs,
        failure: `restore: ${why}`,
      };
    }
    rb.check({
      name: 'archive verified',
      status: 'ok',
      observed: `${found.manifest.members.length} member(s) match the manifest written ${found.manifest.endedAt}`,
    });
    for (const c of found.missing)
      rb.check({ name: c, status: 'skipped', observed: 'not in the archive' });
    const hasCluster = clusterConfigured(o.kubeconfig, ctx.env);
    checkRestorable(found, o, hasCluster);
    const t = await resolveTarget(o, ctx, found, identities, hasCluster);
    t.remote = access.remote;
    if (s3 && isBucketUrl(found.path) && !o.safetyDestination)
      t.safety.target = await bucketTarget(
        folderOf(found.path, 'archive'),
        s3,
        ctx.signal,
      );
    const cc = await runChangeControlled(
      restoreMutation(t, ctx, rb, outputs),
      o,
      rb,
      ctx,
    );
    Object.assign(outputs, changeControlValues(cc));
    const failed = rb.checks.find((c) => c.status === 'failed');
    const what = cc.plan.changes.map((c) => c.object).join(', ');
    const summary = failed
      ? `Restore failed: ${failed.name}: ${failed.observed}`
      : cc.applied
        ? `Restored ${what} from ${found.path}.`
        : `Planned: restore ${what || 'nothing'} from ${found.path} (not applied).`;
    return {
      result: rb.finish(summary),
      outputs,
      failure: failed
        ? `restore: ${failed.name}: ${failed.observed}`
        : undefined,
    };
  },
});

/** Connects to what the restore touches: the cluster (also for the Lease), database, app pod. */
async function resolveTarget(
  o: RestoreOptions,
  ctx: ProcedureContext,
  a: VerifiedArchive,
  identities: string[],
  hasCluster: boolean,
): Promise<RestoreTarget> {
  const dbMode = a.components.includes('database')
    ? databaseMode(o, true)
    : undefined;
  const kube = hasCluster ? await connect(o, ctx) : undefined;
  const ep = dbMode
    ? await databaseEndpoint(o, dbMode, kube, o.namespace, ctx.maskSecret)
    : undefined;
  const app =
    kube && a.components.includes('appdata')
      ? await resolvePod(kube, o.namespace, {
          pod: o.appdataPod,
          selector: o.appdataSelector,
          container: o.appdataContainer,
          what: 'application pod',
        })
      : undefined;
  const recipients = await parseRecipients(
    o.ageRecipients.length > 0
      ? o.ageRecipients
      : await Promise.all(identities.slice(0, 1).map(recipientOf)),
  );
  return {
    archive: a,
    identities,
    kube,
    ep,
    via: dbMode ?? 'url',
    app,
    appPath: o.appdataPath || a.manifest.source.appdata?.path || '/data',
    namespace: o.namespace,
    safety: {
      dir: o.safetyDestination,
      prefix: o.safetyPrefix,
      recipients,
      allowPlaintextSecrets: o.allowPlaintextSecrets,
    },
    lock: { name: o.lockName },
    version: PQC_OPS_VERSION,
  };
}
