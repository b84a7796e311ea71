/** ReplicaSet controller: creates and deletes pods, keeps status. */
import { isDeepStrictEqual } from 'node:util';
import type { SimCore } from '../core.js';
import { recordEvent } from '../events.js';
import { findByPlural } from '../registry.js';
import { labelSelectorMatcher } from '../selectors.js';
import { randomSuffix } from '../store.js';
import { BEHAVIOR_ANNOTATION, type Obj } from '../types.js';
import { owned, ownerRef } from './owners.js';
import { NODE_NAME, podReady } from './pods.js';

const RS = findByPlural('apps', 'v1', 'replicasets')!;

/** Reconcile one ReplicaSet against its pods. */
export function syncReplicaSet(core: SimCore, rs: Obj, pods: Obj[]) {
  const ns = rs.metadata.namespace as string;
  const mine = owned(pods, rs.metadata.uid as string).filter(
    (p) => !p.metadata.deletionTimestamp,
  );
  const want = Number(rs.spec.replicas ?? 0);
  const podRt = core.core('pods');
  if (mine.length < want) {
    const deployRef = ((rs.metadata.ownerReferences ?? []) as Obj[]).find(
      (r) => r.kind === 'Deployment',
    );
    const behavior = deployRef
      ? core.behaviors.get(`${ns}/${String(deployRef.name)}`)
      : undefined;
    for (let i = mine.length; i < want; i++) {
      const t = structuredClone(rs.spec.template as Obj);
      const annotations = { ...(t.metadata?.annotations ?? {}) };
      if (behavior) annotations[BEHAVIOR_ANNOTATION] = behavior;
      const pod = core.store.create(
        podRt,
        {
          metadata: {
            name: `${String(rs.metadata.name)}-${randomSuffix()}`,
            generateName: `${String(rs.metadata.name)}-`,
            namespace: ns,
            labels: t.metadata?.labels ?? {},
            ...(Object.keys(annotations).length ? { annotations } : {}),
            ownerReferences: [ownerRef(rs)],
          },
          spec: { ...t.spec, nodeName: NODE_NAME },
        },
        { trusted: true },
      );
      recordEvent(
        core,
        rs,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${String(pod.metadata.name)}`,
        'replicaset-controller',
      );
    }
  } else if (mine.length > want) {
    const victims = mine
      .sort(
        (a, b) =>
          Number(podReady(a)) - Number(podReady(b)) ||
          String(b.metadata.creationTimestamp).localeCompare(
            String(a.metadata.creationTimestamp),
          ),
      )
      .slice(0, mine.length - want);
    for (const p of victims) {
      for (const c of (p.spec?.containers ?? []) as Obj[])
        recordEvent(
          core,
          p,
          'Normal',
          'Killing',
          `Stopping container ${String(c.name)}`,
          'kubelet',
          `spec.containers{${String(c.name)}}`,
        );
      core.store.delete(podRt, ns, p.metadata.name as string);
      recordEvent(
        core,
        rs,
        'Normal',
        'SuccessfulDelete',
        `Deleted pod: ${String(p.metadata.name)}`,
        'replicaset-controller',
      );
    }
  }
  const now2 = owned(core.store.scan(podRt, ns), rs.metadata.uid as string);
  const ready = now2.filter(podReady).length;
  const match = labelSelectorMatcher(rs.spec.selector as Obj);
  const status: Obj = {
    replicas: now2.length,
    fullyLabeledReplicas: now2.filter((p) =>
      match((p.metadata.labels ?? {}) as Record<string, string>),
    ).length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation,
  };
  if (!ready) {
    delete status.readyReplicas;
    delete status.availableReplicas;
  }
  if (!isDeepStrictEqual(status, rs.status)) {
    rs.status = status;
    core.store.update(RS, rs, { subresource: 'status', trusted: true });
  }
}

/** One tick of the ReplicaSet then Deployment controllers. */
