import type { V1Pod } from '@kubernetes/client-node';
import { ConfigurationError, RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { connect } from '../../kube/connect.js';
import {
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  runChangeControlled,
} from '../../plan/change-control.js';
import { databaseEndpoint, databaseMode } from '../../postgres/source.js';
import { defineProcedure } from '../../procedure.js';
import { housekeepingInputs, type HousekeepingOptions } from './inputs.js';
import { housekeepingMutation, MAX_FILES } from './mutation.js';
import {
  filesCheck,
  filesTable,
  podChecks,
  totals,
  type Totals,
  vacuumCheck,
  vacuumTable,
} from './report.js';
import { overlaps } from './select.js';
import { newState, type HousekeepingState } from './state.js';
import type { ResultBuilder } from '../../report/step-result.js';

const outputs = {
  compressed: 'How many log files this run compressed.',
  deleted: 'How many files this run deleted (old .log.gz and temp files).',
  'bytes-freed':
    'Bytes freed in the pods: deleted files plus what compression saved.',
  ...changeControlOutputs,
};

/**
 * The runbook's daily log rotation and cleanup: in the application pods,
 * gzip old logs, delete old compressed logs and old temp files (find and
 * gzip through exec, argument arrays only), and VACUUM (ANALYZE) the
 * database, under plan/apply change control.
 */
export const housekeeping = defineProcedure({
  name: 'housekeeping',
  title: 'Log rotation, temp cleanup and VACUUM',
  description:
    'In the application pods, gzips old *.log files, deletes old *.log.gz and temp files (planned file by file with size and mtime, symlinks never followed), and runs VACUUM (ANALYZE) on the database, under plan/apply change control.',
  inputs: housekeepingInputs,
  outputs,
  validate(o) {
    if (o.deleteAfter <= o.compressAfter)
      throw new ConfigurationError(
        "input 'delete-after' must be longer than 'compress-after' (a log is compressed first, its .gz deleted later)",
      );
    if (overlaps(o.logPath, o.tempPath))
      throw new ConfigurationError(
        `inputs 'log-path' (${o.logPath}) and 'temp-path' (${o.tempPath}) overlap: give two separate directories`,
      );
    databaseMode(o, false);
    checkPlanInput(o, 'housekeeping');
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const rb = ctx.record({
      cluster: kube.server,
      namespace: o.namespace,
      pods: o.pod ? o.pod : o.selector,
    });
    const state = newState();
    const mode = o.vacuum ? databaseMode(o, false) : undefined;
    if (!o.vacuum) state.vacuumSkipped = 'vacuum is false';
    else if (!mode)
      state.vacuumSkipped =
        'no database source: set database-url, postgres-pod or postgres-selector';
    const cc = await runChangeControlled(
      housekeepingMutation(
        o,
        {
          kube,
          pods: () => targetPods(kube, o, state),
          ...(mode
            ? {
                database: () =>
                  databaseEndpoint(o, mode, kube, o.namespace, ctx.maskSecret),
              }
            : {}),
        },
        ctx,
        rb,
        state,
      ),
      o,
      rb,
      ctx,
    );
    const t = record(rb, state, cc.applied);
    const failed = rb.checks.find((c) => c.status === 'failed');
    const planned = cc.plan.changes.length;
    const result = rb.finish(
      cc.applied
        ? `Compressed ${t.compressed} and deleted ${t.deleted} file(s), ${t.bytesFreed} bytes freed${state.vacuum ? '; VACUUM (ANALYZE) done' : ''}.`
        : planned === 0
          ? 'Nothing to clean.'
          : `Planned: ${planned} change(s) (not applied).`,
    );
    return {
      result,
      outputs: {
        compressed: String(t.compressed),
        deleted: String(t.deleted),
        'bytes-freed': String(t.bytesFreed),
        ...changeControlValues(cc),
      },
      failure: failed
        ? `housekeeping: ${failed.name}: ${failed.observed}`
        : undefined,
    };
  },
});

/** The checks, tables, metrics and follow-ups of the run; its totals. */
function record(
  rb: ResultBuilder,
  state: HousekeepingState,
  applied: boolean,
): Totals {
  for (const c of podChecks(state)) rb.check(c);
  const t = totals(state);
  if (applied) rb.check(filesCheck(state, t));
  const vc = vacuumCheck(state, applied);
  if (vc) rb.check(vc);
  if (state.deferred > 0)
    rb.followUps.push(
      `${state.deferred} more file(s) are due: one run handles at most ${MAX_FILES}; the next run takes them.`,
    );
  const ft = filesTable(state);
  if (ft) rb.details.push(ft);
  const vt = vacuumTable(state.vacuumPlan, state.vacuum);
  if (vt) rb.details.push(vt);
  Object.assign(rb.metrics, {
    filesCompressed: t.compressed,
    filesDeleted: t.deleted,
    filesSkipped: t.skipped,
    filesFailed: t.failed,
    bytesFreed: t.bytesFreed,
  });
  if (state.vacuum) {
    const dead = (x: { dead: number }[]) => x.reduce((n, y) => n + y.dead, 0);
    rb.metrics['deadTuplesBefore'] = dead(state.vacuum.before.tables);
    rb.metrics['deadTuplesAfter'] = dead(state.vacuum.after.tables);
    rb.metrics['vacuumSeconds'] = state.vacuum.ms / 1000;
  }
  return t;
}

/** The pods to clean: the one named, or every Running and Ready pod of the selector. */
async function targetPods(
  kube: Kube,
  o: HousekeepingOptions,
  state: HousekeepingState,
): Promise<V1Pod[]> {
  const ns = o.namespace;
  if (o.pod) {
    const name = o.pod;
    const p = await kube.getOrUndefined(`read pod ${ns}/${name}`, () =>
      kube.core.readNamespacedPod({ name, namespace: ns }),
    );
    if (!p || p.status?.phase !== 'Running')
      throw new RefusedError(
        `pod ${ns}/${name} ${p ? `is ${p.status?.phase ?? 'not running'}` : 'does not exist'}`,
      );
    return [p];
  }
  const pods = await kube.listAll<V1Pod>(
    `list pods ${o.selector} in ${ns}`,
    (cont, limit) =>
      kube.core.listNamespacedPod({
        namespace: ns,
        labelSelector: o.selector,
        limit,
        _continue: cont,
      }),
  );
  const ready = pods
    .filter(
      (p) =>
        p.status?.phase === 'Running' &&
        !p.metadata?.deletionTimestamp &&
        p.status.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
    )
    .sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    );
  if (ready.length === 0)
    state.noPods = `no Running and Ready pod in ${ns} matches ${o.selector}: no files cleaned`;
  return ready;
}
