import type { Kube } from '../../kube/client.js';
import { connect, holdLease } from '../../kube/connect.js';
import { waitForRollout } from '../../kube/rollout.js';
import {
  changeControlOutputs,
  checkPlanInput,
  changeControlValues,
  runChangeControlled,
  type Mutation,
} from '../../plan/change-control.js';
import type { Plan, StateRef } from '../../plan/plan.js';
import type { OptionsOf } from '../../inputs/spec.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { ResultBuilder } from '../../report/step-result.js';
import { scaleInputs } from './inputs.js';
import { setReplicas } from '../../dr/replicas.js';

type ScaleOptions = OptionsOf<typeof scaleInputs>;

/**
 * The runbook's emergency "scale out for recovery" (and "scale to zero to
 * stop further corruption"), under change control: plan, approve, apply.
 */
export const scale = defineProcedure({
  name: 'scale',
  title: 'Scale a Deployment',
  description:
    'Sets the replica count of a Deployment through the scale subresource, under plan/apply change control, and waits until it is available.',
  inputs: scaleInputs,
  outputs: changeControlOutputs,
  validate(o) {
    checkPlanInput(o, 'scale');
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const object = `Deployment ${o.namespace}/${o.deployment}`;
    const rb = ctx.record({
      cluster: kube.server,
      namespace: o.namespace,
      deployment: o.deployment,
    });
    const cc = await runChangeControlled(
      scaleMutation(kube, o, ctx, rb),
      o,
      rb,
      ctx,
    );
    // The record says what the plan did, never what the inputs asked for.
    const c = cc.plan.changes[0];
    const to = c ? Number(c.params?.['to']) : undefined;
    const result = rb.finish(
      !c
        ? `${object} already has ${o.replicas} replicas.`
        : cc.applied
          ? `Scaled ${object} to ${to} replicas.`
          : `Planned: scale ${object} to ${to} replicas (not applied).`,
    );
    const failed = result.checks.find((x) => x.status === 'failed');
    return {
      result,
      outputs: changeControlValues(cc),
      failure: failed ? `scale: ${failed.observed}` : undefined,
    };
  },
});

function scaleMutation(
  kube: Kube,
  o: ScaleOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Mutation {
  const { namespace, deployment: name } = o;
  const object = `Deployment ${namespace}/${name}`;
  const readState = () => readScaleState(kube, namespace, name);
  return {
    procedure: 'scale',
    target: {
      server: kube.server,
      namespaces: [namespace],
      deployment: name,
      replicas: o.replicas,
    },
    async makePlan() {
      const s = await readState();
      const changes =
        s.replicas === o.replicas
          ? []
          : [
              {
                object,
                action: `scale ${s.replicas} -> ${o.replicas} replicas`,
                reason: 'requested replica count',
                undo: `scale back to ${s.replicas} replicas`,
                params: { from: s.replicas, to: o.replicas },
              },
            ];
      return { basis: [s.ref], changes };
    },
    async liveState() {
      return [(await readState()).ref];
    },
    async execute(plan: Plan) {
      await applyScalePlan(kube, namespace, name, plan, rb);
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
    async verify() {
      const st = await waitForRollout(kube, namespace, name, {
        timeoutMs: o.timeout,
        now: ctx.now,
        sleep: ctx.sleep,
        intervalMs: 500,
        onProgress: ctx.log.info,
      });
      rb.check({
        name: 'rollout',
        status: st.done ? 'ok' : 'failed',
        observed: st.message,
        threshold: `within ${o.timeout / 1000} s`,
      });
    },
  };
}

/** The Deployment's generation (the plan's basis) and replica count. */
async function readScaleState(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<{ ref: StateRef; replicas: number }> {
  const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
    kube.apps.readNamespacedDeployment({ name, namespace }),
  );
  return {
    ref: {
      object: `Deployment ${namespace}/${name}`,
      uid: d.metadata?.uid,
      versionKind: 'generation',
      version: String(d.metadata?.generation ?? 0),
    },
    replicas: d.spec?.replicas ?? 1,
  };
}

/** Patches the scale subresource for each change and records it. */
async function applyScalePlan(
  kube: Kube,
  namespace: string,
  name: string,
  plan: Plan,
  rb: ResultBuilder,
): Promise<void> {
  const object = `Deployment ${namespace}/${name}`;
  for (const c of plan.changes) {
    const to = Number(c.params?.['to']);
    await setReplicas(kube, { namespace, name }, to);
    rb.change(c.action, object, c.undo);
  }
}
