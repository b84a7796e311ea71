import { errorMessage } from '../../errors.js';
import { checkCryptoCommand } from '../../inputs/groups-health.js';
import { connect } from '../../kube/connect.js';
import {
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  runChangeControlled,
  type ChangeControlOutcome,
} from '../../plan/change-control.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { actorOf, Timeline } from '../../report/timeline.js';
import { validateCorruption } from './corruption-validate.js';
import { incidentInputs, type IncidentOptions } from './inputs.js';
import { notifyEnd } from './notify.js';
import { incidentMutation, type IncidentState } from './dispatch.js';
import { validateSecurity } from './security-validate.js';
import type { IncidentRun } from './shared.js';

const outputs = {
  'evidence-archive':
    'security-incident: path of the evidence archive (.tar, or .tar.age when encrypted).',
  'evidence-sha256': 'security-incident: sha256 of the evidence archive file.',
  'undo-plan-file':
    'security-incident: path of the plan that lifts the isolation (removes exactly the NetworkPolicy this run created); apply it with mode apply.',
  'undo-plan-sha256': 'security-incident: sha256 of that undo plan.',
  'emergency-archive':
    'data-corruption: the emergency backup taken before the restore (path or s3:// URL).',
  'restored-archive': 'data-corruption: the archive restored.',
  timeline: 'What was done, when and by whom, as JSON.',
  ...changeControlOutputs,
};

/**
 * The runbook's emergency procedures (outage, data corruption, security
 * incident), each under plan/apply change control, each writing a timeline
 * into its record and telling alert-webhook at the end.
 */
export const incident = defineProcedure({
  name: 'incident',
  title: 'Incident response',
  description:
    'The emergency procedures: outage (diagnose, restart, scale out, check health), data-corruption (stop, emergency backup, restore the last known good archive, validate, scale back) and security-incident (deny-all isolation, forensic evidence, credential rotation, restart, debug logging), each plan/apply with a timeline and a notification.',
  inputs: incidentInputs,
  outputs,
  validate(o) {
    checkCryptoCommand(o);
    checkPlanInput(o, 'incident');
    if (o.procedure === 'security-incident') validateSecurity(o);
    if (o.procedure === 'data-corruption') validateCorruption(o);
  },
  async run(o, ctx) {
    maskSecretValues(o, ctx);
    const rb = ctx.record({
      incident: o.procedure,
      namespace: o.namespace,
      deployment: o.deployment,
    });
    const tl = new Timeline(actorOf(ctx.env), ctx.now, rb.timeline, (e) =>
      ctx.log.info(`timeline: ${e.what}`),
    );
    const state: IncidentState = {};
    let cc: ChangeControlOutcome | undefined;
    let error: unknown;
    let cluster = '';
    try {
      const kube = await connect(o, ctx);
      cluster = kube.server;
      rb.target['cluster'] = cluster;
      tl.add(`${o.procedure} response started (mode ${o.mode})`);
      const r: IncidentRun = { kube, o, ctx, rb, tl };
      const m = await incidentMutation(r, state);
      cc = await runChangeControlled(m, o, rb, ctx);
      tl.add(
        cc.applied
          ? `${o.procedure} response applied (plan ${cc.sha256.slice(0, 12)})`
          : `planned ${cc.plan.changes.length} change(s) (plan ${cc.sha256.slice(0, 12)}), not applied`,
      );
    } catch (e) {
      error = e;
      tl.add(`${o.procedure} response stopped: ${errorMessage(e)}`);
    }
    return finish({ o, ctx, rb, tl }, cluster, cc, state, error);
  },
});

/** Every value of secret-values is a secret on its own, not only the whole input. */
function maskSecretValues(o: IncidentOptions, ctx: ProcedureContext): void {
  for (const v of Object.values(o.secretValues ?? {}))
    if (v !== '') ctx.maskSecret(v);
}

async function finish(
  r: Pick<IncidentRun, 'o' | 'ctx' | 'rb' | 'tl'>,
  cluster: string,
  cc: ChangeControlOutcome | undefined,
  state: IncidentState,
  error: unknown,
) {
  const { o, rb, tl } = r;
  // The validation's verdict says most (data-corruption stays at 0).
  const failed =
    rb.checks.find((c) => c.status === 'failed' && c.name === 'validation') ??
    rb.checks.find((c) => c.status === 'failed');
  const headline = error
    ? `failed: ${errorMessage(error)}`
    : !cc?.applied
      ? `planned ${cc?.plan.changes.length ?? 0} change(s), not applied`
      : failed
        ? `applied, but ${failed.name}: ${failed.observed}`
        : (state.headline ?? 'applied');
  await notifyEnd(r, cluster, {
    status: error || failed ? 'failed' : cc?.applied ? 'applied' : 'planned',
    headline,
  });
  rb.details.push(tl.render());
  // A throw keeps this record (checks, changes, timeline) in the executor's.
  if (error !== undefined)
    throw error instanceof Error ? error : new Error(errorMessage(error));
  const result = rb.finish(`${o.procedure}: ${headline}.`);
  return {
    result,
    outputs: {
      'evidence-archive': state.evidence?.path ?? '',
      'evidence-sha256': state.evidence?.sha256 ?? '',
      'undo-plan-file': state.undoPlan?.file ?? '',
      'undo-plan-sha256': state.undoPlan?.sha256 ?? '',
      'emergency-archive': state.emergencyArchive ?? '',
      'restored-archive': state.restoredArchive ?? '',
      timeline: JSON.stringify(tl.entries),
      ...changeControlValues(cc),
    },
    failure: failed
      ? `incident: ${failed.name}: ${failed.observed}`
      : undefined,
  };
}
