import { join } from 'node:path';
import { input } from '../../inputs/spec.js';
import { waitForRollout } from '../../kube/rollout.js';
import { runChangeControlled, type Mutation } from '../../plan/change-control.js';
import { serializePlan, type Plan, type StateRef } from '../../plan/plan.js';
import { ResultBuilder } from '../../report/step-result.js';
import { changeControlInputs, kubeInputs } from '../../inputs/groups.js';
import { connect, holdLease } from '../../kube/connect.js';
import { defineProcedure } from '../../procedure.js';

const inputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the Deployment.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description: 'The Deployment to scale.',
  }),
  replicas: input.integer('replicas', {
    default: undefined,
    min: 0,
    max: 1000,
    description: 'The replica count to set.',
  }),
  timeout: input.duration('timeout', {
    default: '5m',
    description:
      'How long to wait for the scaled Deployment to become available.',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-scale',
    description:
      'Lease (in the namespace) held while applying, so two runs never change the Deployment at once.',
  }),
  ...changeControlInputs,
};

/**
 * The runbook's emergency "scale out for recovery" (and "scale to zero to
 * stop further corruption"), under change control: plan, approve, apply.
 */
export const scale = defineProcedure({
  name: 'scale',
  title: 'Scale a Deployment',
  description:
    'Sets the replica count of a Deployment through the scale subresource, under plan/apply change control, and waits until it is available.',
  inputs,
  outputs: {
    plan: 'The plan, as JSON (mode plan and auto).',
    'plan-sha256':
      'The sha256 that identifies the plan; pass it to the apply step.',
    'plan-file': 'Path of the plan file, for an artifact.',
    applied: 'true when changes were executed.',
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const ns = o.namespace;
    const name = o.deployment;
    const rb = new ResultBuilder('scale', ctx.now, {
      cluster: kube.server,
      namespace: ns,
      deployment: name,
    });
    const object = `Deployment ${ns}/${name}`;
    const readState = async (): Promise<{
      ref: StateRef;
      replicas: number;
    }> => {
      const d = await kube.call(`read deployment ${ns}/${name}`, () =>
        kube.apps.readNamespacedDeployment({ name, namespace: ns }),
      );
      return {
        ref: {
          object,
          uid: d.metadata?.uid,
          versionKind: 'generation',
          version: String(d.metadata?.generation ?? 0),
        },
        replicas: d.spec?.replicas ?? 1,
      };
    };
    const m: Mutation = {
      procedure: 'scale',
      async makePlan(): Promise<Plan> {
        const s = await readState();
        return {
          apiVersion: 'pqc-ops/v1',
          kind: 'Plan',
          procedure: 'scale',
          target: { server: kube.server, namespaces: [ns] },
          createdAt: ctx.now().toISOString(),
          basis: [s.ref],
          changes:
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
                ],
        };
      },
      async liveState() {
        return [(await readState()).ref];
      },
      mismatch(plan) {
        if (plan.target.server !== kube.server)
          return `it targets ${plan.target.server}, this run ${kube.server}`;
        const c = plan.changes[0];
        if (c && c.object !== object)
          return `it changes ${c.object}, this run ${object}`;
        return undefined;
      },
      async execute(plan) {
        for (const c of plan.changes) {
          const to = Number(c.params?.['to']);
          await kube.call(`scale ${object}`, () =>
            kube.apps.patchNamespacedDeploymentScale(
              { name, namespace: ns, body: { spec: { replicas: to } } },
              kube.lib.setHeaderOptions(
                'Content-Type',
                kube.lib.PatchStrategy.MergePatch,
              ),
            ),
          );
          rb.change(c.action, object, c.undo);
        }
      },
      async lock() {
        const lease = await holdLease(kube, ctx, {
          namespace: ns,
          name: o.lockName,
          durationMs: o.timeout + 60_000,
        });
        rb.check({
          name: 'lock',
          status: 'ok',
          observed: `holding Lease ${ns}/${o.lockName}`,
        });
        return lease.release;
      },
      async verify() {
        const st = await waitForRollout(kube, ns, name, {
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
    const cc = await runChangeControlled(m, o, rb, join(ctx.tempDir, 'plans'));
    const result = rb.finish(
      cc.applied
        ? `Scaled ${object} to ${o.replicas} replicas.`
        : cc.plan.changes.length === 0
          ? `${object} already has ${o.replicas} replicas.`
          : `Planned: scale ${object} to ${o.replicas} replicas (not applied).`,
    );
    return {
      result,
      outputs: {
        plan: serializePlan(cc.plan),
        'plan-sha256': cc.sha256,
        'plan-file': cc.planFile,
        applied: String(cc.applied),
      },
      failure:
        result.status === 'failed'
          ? `scale: ${result.checks.find((c) => c.status === 'failed')?.observed ?? 'failed'}`
          : undefined,
    };
  },
});
