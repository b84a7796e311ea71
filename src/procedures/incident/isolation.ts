import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1LabelSelector, V1NetworkPolicy } from '@kubernetes/client-node';
import { RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { planInputs, type Mutation } from '../../plan/change-control.js';
import {
  planSha256,
  serializePlan,
  type Plan,
  type StateRef,
} from '../../plan/plan.js';
import { lockApp, type IncidentRun } from './shared.js';

/** Marks the policies this procedure creates. */
const MANAGED = { 'app.kubernetes.io/managed-by': 'pqc-ops' };

/** The deny-all policy: the application pods, no ingress and no egress rule. */
export function isolationPolicy(
  name: string,
  namespace: string,
  podSelector: V1LabelSelector,
): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace,
      labels: { ...MANAGED, 'pqc-ops/incident': 'security-incident' },
    },
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    },
  };
}

/** The policy as a plan's basis: its resourceVersion, or `absent`. */
export async function readPolicy(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<{ policy: V1NetworkPolicy | undefined; ref: StateRef }> {
  const net = kube.api(kube.lib.NetworkingV1Api);
  const policy = await kube.getOrUndefined(
    `read networkpolicy ${namespace}/${name}`,
    () => net.readNamespacedNetworkPolicy({ name, namespace }),
  );
  return {
    policy,
    ref: {
      object: `NetworkPolicy ${namespace}/${name}`,
      uid: policy?.metadata?.uid,
      versionKind: policy ? 'resourceVersion' : 'value',
      version: policy?.metadata?.resourceVersion ?? 'absent',
    },
  };
}

/** Creates the policy; returns it as created (uid, resourceVersion). */
export async function createPolicy(
  kube: Kube,
  body: V1NetworkPolicy,
): Promise<V1NetworkPolicy> {
  const net = kube.api(kube.lib.NetworkingV1Api);
  const namespace = body.metadata?.namespace ?? '';
  return kube.call(
    `create networkpolicy ${namespace}/${body.metadata?.name ?? ''}`,
    () => net.createNamespacedNetworkPolicy({ namespace, body }),
    false,
  );
}

/**
 * Writes the plan that lifts the isolation: delete exactly the policy
 * created (its uid and resourceVersion are the basis, so a policy edited
 * or replaced since is refused as drift).
 */
export async function writeUndoPlan(
  r: IncidentRun,
  created: V1NetworkPolicy,
): Promise<{ file: string; sha256: string }> {
  const { namespace, isolationPolicy: name } = r.o;
  const object = `NetworkPolicy ${namespace}/${name}`;
  const plan: Plan = {
    apiVersion: 'pqc-ops/v1',
    kind: 'Plan',
    procedure: 'incident',
    target: liftTarget(r),
    // The run's own inputs, so `pqc-ops apply <undo plan>` reaches the same cluster.
    inputs: planInputs({
      ...r.ctx.givenInputs,
      procedure: 'security-incident',
      namespace,
      'isolation-policy': name,
    }),
    createdAt: r.ctx.now().toISOString(),
    basis: [
      {
        object,
        uid: created.metadata?.uid,
        versionKind: 'resourceVersion',
        version: created.metadata?.resourceVersion ?? '',
      },
    ],
    changes: [
      {
        object,
        action: 'delete NetworkPolicy (lift the isolation)',
        reason: 'undo of the security-incident isolation',
        undo: 'isolate again: run security-incident',
        params: { uid: created.metadata?.uid },
      },
    ],
  };
  const sha256 = planSha256(plan);
  await mkdir(r.ctx.planDir, { recursive: true, mode: 0o700 });
  const file = join(
    r.ctx.planDir,
    `incident-undo-isolation-${sha256.slice(0, 12)}.json`,
  );
  const text = serializePlan(plan, sha256) + '\n';
  await writeFile(file, text, { mode: 0o600 });
  r.rb.artifacts.push({
    path: file,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
  return { file, sha256 };
}

function liftTarget(r: IncidentRun): Plan['target'] {
  return {
    server: r.kube.server,
    namespaces: [r.o.namespace],
    incident: 'lift-isolation',
    networkPolicy: r.o.isolationPolicy,
  };
}

/** Whether an approved plan is an isolation's undo plan. */
export function isLiftPlan(plan: Plan): boolean {
  return plan.target['incident'] === 'lift-isolation';
}

/**
 * Applies an undo plan: deletes exactly the NetworkPolicy it names (same
 * uid), refused when the policy moved since it was created.
 */
export function liftMutation(r: IncidentRun): Mutation {
  const { namespace, isolationPolicy: name } = r.o;
  const object = `NetworkPolicy ${namespace}/${name}`;
  if (r.o.procedure !== 'security-incident')
    throw new RefusedError(
      `the plan lifts a security-incident isolation: apply it with procedure security-incident, not ${r.o.procedure}`,
    );
  const net = r.kube.api(r.kube.lib.NetworkingV1Api);
  return {
    procedure: 'incident',
    target: liftTarget(r),
    makePlan() {
      throw new RefusedError(
        'an isolation is lifted only by applying the undo plan its security-incident run wrote',
      );
    },
    async liveState() {
      const now = await readPolicy(r.kube, namespace, name);
      return now.policy ? [now.ref] : [];
    },
    async execute(plan) {
      const uid = plan.changes[0]?.params?.['uid'] as string | undefined;
      await r.kube.call(`delete networkpolicy ${namespace}/${name}`, () =>
        net.deleteNamespacedNetworkPolicy({
          name,
          namespace,
          body: { preconditions: { uid } },
        }),
      );
      r.rb.change('delete (isolation lifted)', object, 'isolate again');
      r.tl.add(`isolation lifted: ${object} deleted`);
    },
    async verify() {
      const left = await readPolicy(r.kube, namespace, name);
      r.rb.check({
        name: 'isolation lifted',
        status: left.policy ? 'failed' : 'ok',
        observed: left.policy ? `${object} still exists` : `${object} is gone`,
      });
    },
    lock: () => lockApp(r),
  };
}
