import { errorMessage, RefusedError } from '../../errors.js';
import { healthOf, runChecks } from '../../health/round.js';
import { healthRoundOptions } from '../../inputs/groups-health.js';
import type { Kube } from '../../kube/client.js';
import { holdLease } from '../../kube/connect.js';
import { setContainerImage, undoDeployment } from '../../kube/revisions.js';
import { waitForRollout } from '../../kube/rollout.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange, StateRef } from '../../plan/plan.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { RolloutOptions } from './inputs.js';
import {
  readDeployment,
  runningDigests,
  type DeploymentState,
} from './live.js';
import type { RolloutState } from './state.js';

/** The planned image change, as the plan file carries it. */
export interface SetImageParams {
  container: string;
  index: number;
  from: string;
  to: string;
  revision: number;
  generation: number;
  digestsBefore: string[];
}

/**
 * rollout under change control: the plan sets one container's image (from
 * the Deployment's generation, refused when paused); apply refuses drift,
 * patches only that Deployment generation, waits with kubectl's rollout
 * status logic, undoes a failed rollout as kubectl rollout undo does, then
 * runs the health checks and undoes an unhealthy one when asked.
 */
export function rolloutMutation(
  kube: Kube,
  o: RolloutOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: RolloutState,
): Mutation {
  const { namespace, deployment: name } = o;
  const object = `Deployment ${namespace}/${name}`;
  const read = async () => {
    const s = await readDeployment(kube, namespace, name, o.container);
    if (s.paused)
      throw new RefusedError(
        `${object} is paused: resume it (kubectl rollout resume deployment/${name}) or roll out after it is resumed`,
      );
    return s;
  };
  return {
    procedure: 'rollout',
    target: {
      server: kube.server,
      namespaces: [namespace],
      deployment: name,
      container: o.container ?? null,
      image: o.image,
      undoOnUnhealthy: o.undoOnUnhealthy,
    },
    makePlan: () => planRollout(kube, o, state, read),
    async liveState() {
      return [(await read()).ref];
    },
    async execute(plan: Plan) {
      for (const c of plan.changes) {
        const p = c.params as unknown as SetImageParams;
        state.before ??= {
          image: p.from,
          revision: p.revision,
          digests: p.digestsBefore,
        };
        await setContainerImage(kube, namespace, name, {
          index: p.index,
          name: p.container,
          from: p.from,
          to: p.to,
          generation: p.generation,
        });
        rb.change(c.action, object, c.undo);
      }
    },
    async verify(plan: Plan) {
      const p = plan.changes[0]?.params as unknown as SetImageParams;
      await verifyRollout(kube, o, ctx, rb, state, p);
    },
    async lock() {
      const lease = await holdLease(kube, ctx, {
        namespace,
        name: o.lockName,
      });
      rb.check({
        name: 'lock',
        status: 'ok',
        observed: `holding Lease ${namespace}/${o.lockName}`,
      });
      return lease.release;
    },
  };
}

/** The plan: one image change, or none when the container already runs the image. */
async function planRollout(
  kube: Kube,
  o: RolloutOptions,
  state: RolloutState,
  read: () => Promise<DeploymentState>,
): Promise<{ basis: StateRef[]; changes: PlannedChange[] }> {
  const name = o.deployment;
  const object = `Deployment ${o.namespace}/${name}`;
  const s = await read();
  const digestsBefore = await runningDigests(
    kube,
    s.deployment,
    s.container.name,
    s.container.image,
  );
  state.before = {
    image: s.container.image,
    revision: s.revision,
    digests: digestsBefore,
  };
  if (s.container.image === o.image) return { basis: [s.ref], changes: [] };
  return {
    basis: [s.ref],
    changes: [
      {
        object,
        action: `set image ${s.container.name}: ${s.container.image} -> ${o.image}`,
        reason: 'the image to roll out',
        undo: `kubectl rollout undo deployment/${name} --to-revision=${s.revision} (revision ${s.revision} runs ${s.container.image}); done automatically when the rollout fails${o.undoOnUnhealthy ? ' or the service is unhealthy after it' : ''}`,
        params: {
          container: s.container.name,
          index: s.container.index,
          from: s.container.image,
          to: o.image,
          revision: s.revision,
          generation: s.generation,
          digestsBefore,
        } satisfies SetImageParams,
      },
    ],
  };
}

/** Waits for the rollout; undoes it when it fails or (when asked) leaves the service unhealthy. */
async function verifyRollout(
  kube: Kube,
  o: RolloutOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: RolloutState,
  p: SetImageParams,
): Promise<void> {
  const st = await wait(kube, o, ctx);
  state.rollout = st;
  rb.check({
    name: 'rollout',
    status: st.done ? 'ok' : 'failed',
    observed: st.message,
    threshold: `complete within ${Math.round(o.timeout / 1000)} s and the progress deadline`,
  });
  state.after = await observe(kube, o, p);
  if (!st.done) {
    await undo(kube, o, ctx, rb, state, p, `the rollout failed: ${st.message}`);
    return;
  }
  const round = await ctx.log.group('Health after the rollout', () =>
    runChecks(kube, healthRoundOptions(o), ctx),
  );
  const status = healthOf(round.checks);
  state.health = { status, checks: round.checks };
  for (const c of round.checks) rb.check({ ...c, name: `health: ${c.name}` });
  rb.details.push(...round.details);
  if (status === 'unhealthy' && o.undoOnUnhealthy) {
    const failed = round.checks
      .filter((c) => c.status === 'failed')
      .map((c) => `${c.name}: ${c.observed}`)
      .join('; ');
    await undo(
      kube,
      o,
      ctx,
      rb,
      state,
      p,
      `unhealthy after the rollout (${failed})`,
    );
  }
}

function wait(kube: Kube, o: RolloutOptions, ctx: ProcedureContext) {
  return waitForRollout(kube, o.namespace, o.deployment, {
    timeoutMs: o.timeout,
    intervalMs: 1000,
    now: ctx.now,
    sleep: ctx.sleep,
    onProgress: ctx.log.info,
  });
}

async function observe(
  kube: Kube,
  o: RolloutOptions,
  p: SetImageParams,
): Promise<RolloutState['after']> {
  const s = await readDeployment(kube, o.namespace, o.deployment, p.container);
  return {
    image: s.container.image,
    revision: s.revision,
    digests: await runningDigests(
      kube,
      s.deployment,
      p.container,
      s.container.image,
    ),
  };
}

/** Undoes the rollout to the planned revision, waits for it, and records both. */
async function undo(
  kube: Kube,
  o: RolloutOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: RolloutState,
  p: SetImageParams,
  reason: string,
): Promise<void> {
  const object = `Deployment ${o.namespace}/${o.deployment}`;
  state.undo = { reason };
  try {
    const out = await ctx.log.group(`Undo: ${reason}`, () =>
      undoDeployment(kube, o.namespace, o.deployment, p.revision),
    );
    state.undo.outcome = out;
    rb.change(
      `rollout undo to revision ${out.revision} (${p.container}=${out.images[p.container] ?? '?'}): ${out.message}`,
      object,
      `roll forward with a new plan for ${p.to} once the cause is fixed`,
    );
    const st = await wait(kube, o, ctx);
    state.undo.rollout = st;
    state.after = await observe(kube, o, p);
    rb.check({
      name: 'undo',
      status: st.done ? 'ok' : 'failed',
      observed: `${out.message} to revision ${out.revision}: ${st.message}`,
      detail: reason,
    });
  } catch (e) {
    state.undo.error = errorMessage(e);
    rb.check({
      name: 'undo',
      status: 'failed',
      observed: state.undo.error,
      detail: `${reason}; undo by hand: kubectl rollout undo deployment/${o.deployment} -n ${o.namespace} --to-revision=${p.revision}`,
    });
  }
}
