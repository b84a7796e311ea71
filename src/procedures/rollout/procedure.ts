import { checkCryptoCommand } from '../../inputs/groups-health.js';
import { connect } from '../../kube/connect.js';
import { parseImage } from '../../kube/image.js';
import {
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  runChangeControlled,
} from '../../plan/change-control.js';
import { defineProcedure } from '../../procedure.js';
import { table } from '../../report/markdown.js';
import type { ResultBuilder } from '../../report/step-result.js';
import { rolloutInputs, type RolloutOptions } from './inputs.js';
import { pinnedDigest } from './live.js';
import { rolloutMutation } from './mutation.js';
import type { RolloutState, Running } from './state.js';

const outputs = {
  'image-before': 'The image the container ran before this run.',
  'image-after':
    'The image the container runs after this run (the previous one again when the rollout was undone).',
  'digest-after':
    'The digest(s) the pods report for image-after, comma-separated.',
  revision: "The Deployment's revision after this run.",
  undone:
    'true when the rollout was undone (it failed, or the service was unhealthy after it).',
  ...changeControlOutputs,
};

/**
 * The runbook's weekly security update: set the Deployment's image (by
 * digest), wait for the rollout as kubectl rollout status does, undo it as
 * kubectl rollout undo does when it fails, then run the health checks and
 * undo an unhealthy rollout, under plan/apply change control.
 */
export const rollout = defineProcedure({
  name: 'rollout',
  title: 'Image rollout with automatic undo',
  description:
    "Sets a Deployment container's image (preferably by digest), waits with kubectl's rollout-status logic, undoes a failed rollout as kubectl rollout undo does, then runs the health checks and undoes an unhealthy one, under plan/apply change control.",
  inputs: rolloutInputs,
  outputs,
  validate(o) {
    checkCryptoCommand(o);
    checkPlanInput(o, 'rollout');
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const object = `Deployment ${o.namespace}/${o.deployment}`;
    const rb = ctx.record({
      cluster: kube.server,
      namespace: o.namespace,
      deployment: o.deployment,
      image: o.image,
    });
    const ref = parseImage(o.image);
    rb.check(
      ref.digest
        ? {
            name: 'image',
            status: 'ok',
            observed: `pinned by digest ${ref.digest}`,
          }
        : {
            name: 'image',
            status: 'warning',
            observed: `${o.image} is a tag${ref.tag ? '' : ' (implicitly :latest)'}, not a digest`,
            detail:
              'a tag can be moved to other content after the plan was approved: roll out by digest (docker/build-push-action outputs it)',
          },
    );
    const state: RolloutState = {};
    const cc = await runChangeControlled(
      rolloutMutation(kube, o, ctx, rb, state),
      o,
      rb,
      ctx,
    );
    const images = imagesTable(state);
    if (images) rb.details.push(images);
    recordMetrics(rb, state);
    const failure = failureLine(o, state, rb);
    const after = state.after ?? state.before;
    const result = rb.finish(
      summary(object, o, state, cc.applied, cc.plan.changes.length),
    );
    return {
      result,
      outputs: {
        'image-before': state.before?.image ?? '',
        'image-after': after?.image ?? '',
        'digest-after': (after?.digests ?? []).join(','),
        revision: String(after?.revision ?? ''),
        undone: String(state.undo?.outcome !== undefined),
        ...changeControlValues(cc),
      },
      failure,
    };
  },
});

function summary(
  object: string,
  o: RolloutOptions,
  s: RolloutState,
  applied: boolean,
  planned: number,
): string {
  if (planned === 0) return `${object} already runs ${o.image}.`;
  if (!applied) return `Planned: set ${object} to ${o.image} (not applied).`;
  if (s.undo?.outcome)
    return `Rolled ${object} back to revision ${s.undo.outcome.revision}: ${s.undo.reason}.`;
  if (s.undo)
    return `${object}: ${s.undo.reason}; the undo failed: ${s.undo.error ?? ''}.`;
  return `Rolled out ${o.image} to ${object} (revision ${s.after?.revision ?? '?'}), health ${s.health?.status ?? 'not checked'}.`;
}

/** The one line the step fails with, or undefined. */
function failureLine(
  o: RolloutOptions,
  s: RolloutState,
  rb: ResultBuilder,
): string | undefined {
  if (s.undo) {
    const how = s.undo.outcome
      ? `undone to revision ${s.undo.outcome.revision} (${s.before?.image ?? '?'})${s.undo.rollout?.done ? '' : `, but the undo did not complete: ${s.undo.rollout?.message ?? ''}`}`
      : `the undo failed: ${s.undo.error ?? 'unknown'}`;
    return `rollout: ${o.image}: ${s.undo.reason}; ${how}`;
  }
  const failed = rb.checks.find((c) => c.status === 'failed');
  return failed ? `rollout: ${failed.name}: ${failed.observed}` : undefined;
}

function recordMetrics(rb: ResultBuilder, s: RolloutState): void {
  if (s.before) rb.metrics['revisionBefore'] = s.before.revision;
  if (s.after) rb.metrics['revisionAfter'] = s.after.revision;
  rb.metrics['undone'] = s.undo?.outcome ? 1 : 0;
}

/** Image, digests and revision before, after the rollout, and after an undo. */
function imagesTable(s: RolloutState): string | undefined {
  const row = (when: string, r: Running | undefined) =>
    r
      ? [
          when,
          `\`${r.image}\``,
          (r.digests.length ? r.digests : [pinnedDigest(r.image) ?? 'unknown'])
            .map((d) => `\`${d}\``)
            .join(', '),
          String(r.revision),
        ]
      : undefined;
  const rows = [
    row('before', s.before),
    row(s.undo?.outcome ? 'after the undo' : 'after', s.after),
  ].filter((r): r is string[] => r !== undefined);
  if (rows.length === 0) return undefined;
  return [
    '#### Images',
    '',
    table(['When', 'Image', 'Digest (from the pods)', 'Revision'], rows),
  ].join('\n');
}
