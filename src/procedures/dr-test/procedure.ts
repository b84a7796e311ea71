import { parseIdentities } from '../../archive/age.js';
import {
  ConfigurationError,
  errorMessage,
  RefusedError,
} from '../../errors.js';
import { checkPrefix, readerLocations } from '../../inputs/groups-archive.js';
import { connect } from '../../kube/connect.js';
import {
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  runChangeControlled,
  type ChangeControlOutcome,
} from '../../plan/change-control.js';
import { databaseMode } from '../../postgres/source.js';
import { parsePgUrl } from '../../postgres/url.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { isBucketUrl } from '../../storage/location.js';
import { archiveAccess } from '../../storage/s3-archives.js';
import { readFailover } from './failover.js';
import { drTestInputs, type DrTestOptions } from './inputs.js';
import { drMutation, type DrSetup, type DrState } from './mutation.js';
import { conclude, pushDrMetrics, recordRecovery } from './report.js';

/** Rules across the inputs, checked before anything is touched. */
function validate(o: DrTestOptions): void {
  checkPlanInput(o, 'dr-test');
  checkPrefix(o.prefix, 'prefix');
  if (!o.destination)
    throw new ConfigurationError(
      "input 'destination' is required: the directory or s3:// folder holding the archives of 'prefix'",
    );
  readerLocations({ ...o, archive: undefined });
  const mode = databaseMode(o, true);
  if (mode === 'url')
    parsePgUrl(o.databaseUrl ?? '', 'database-url', () => undefined);
  if (o.postgresPod)
    throw new ConfigurationError(
      "input 'postgres-pod' cannot name the database pod of a DR test: the pod is replaced when the database comes back; give 'postgres-selector' (or 'database-url')",
    );
  const hasManifests = o.failoverManifests.length > 0;
  if (hasManifests !== Boolean(o.drContext))
    throw new ConfigurationError(
      "inputs 'failover-manifests' and 'dr-context' go together: give both for the cross-cluster failover, or neither",
    );
  if (hasManifests)
    readFailover(o.failoverManifests, o.namespace, o.drContext ?? '');
}

/** Connects to the cluster(s), the archive location, the database; no change. */
async function setup(
  o: DrTestOptions,
  ctx: ProcedureContext,
): Promise<DrSetup> {
  const identities = o.ageIdentity ? parseIdentities(o.ageIdentity) : [];
  for (const id of identities) ctx.maskSecret(id);
  const dbMode = databaseMode(o, true) ?? 'url';
  const database =
    dbMode === 'url'
      ? parsePgUrl(o.databaseUrl ?? '', 'database-url', ctx.maskSecret).database
      : o.database;
  const s3 = readerLocations({ ...o, archive: undefined });
  const access = await archiveAccess(
    { archive: undefined, destination: o.destination },
    s3,
    ctx.signal,
  );
  if (isBucketUrl(o.destination) && !access.bucket)
    throw new ConfigurationError(
      "input 'destination' is an s3:// URL: the s3-* inputs could not be read",
    );
  const kube = await connect(o, ctx);
  const drContext = o.drContext;
  const failover = drContext
    ? {
        kube: await connect({ ...o, context: drContext }, ctx),
        context: drContext,
        objects: readFailover(o.failoverManifests, o.namespace, drContext),
      }
    : undefined;
  return {
    kube,
    o,
    identities,
    dbMode,
    database,
    bucket: access.bucket,
    remote: access.remote,
    failover,
  };
}

/** The runbook's quarterly disaster-recovery test, timed, under change control. */
export const drTest = defineProcedure({
  name: 'dr-test',
  title: 'Disaster recovery test (RTO and RPO)',
  description:
    'Records the database and application replica counts, scales the database to 0 (the simulated failure), restores the newest verified archive, brings the workloads back, waits for health, and measures RTO and RPO against their targets; the replica counts are restored whatever happens. Optionally applies failover manifests to a DR cluster and waits for their rollouts.',
  inputs: drTestInputs,
  outputs: {
    archive: 'Path (or s3:// URL) of the archive restored.',
    'rto-seconds':
      'Recovery time: simulated failure to healthy, in seconds (empty when never healthy).',
    'rpo-seconds':
      'Recovery point: age of the restored data at the failure, in seconds.',
    ...changeControlOutputs,
  },
  validate: (o) => validate(o),
  async run(o, ctx) {
    const s = await setup(o, ctx);
    const rb = ctx.record({
      cluster: s.kube.server,
      namespace: o.namespace,
      database: s.database,
    });
    const state: DrState = { clock: { stage: 'plan' }, failoverDone: [] };
    let cc: ChangeControlOutcome | undefined;
    let error: Error | undefined;
    try {
      cc = await runChangeControlled(drMutation(s, ctx, rb, state), o, rb, ctx);
    } catch (e) {
      if (e instanceof ConfigurationError || e instanceof RefusedError) throw e;
      error = e instanceof Error ? e : new Error(errorMessage(e));
    }
    const times = recordRecovery(o, rb, state);
    await pushDrMetrics(o, rb, times);
    if (error !== undefined && ctx.signal.aborted) throw error;
    return conclude(rb, state, times, changeControlValues(cc), cc, error);
  },
});
