import type { V1Pod } from '@kubernetes/client-node';
import { RefusedError } from '../errors.js';
import type { Kube } from './client.js';
import { PodRunner } from './exec.js';

/**
 * The pod to exec into: by name, or the first Running and Ready pod (by name)
 * matching a selector; the container by name or the pod's first one.
 */
export async function resolvePod(
  kube: Kube,
  namespace: string,
  o: { pod?: string; selector?: string; container?: string; what: string },
): Promise<PodRunner> {
  let pod: V1Pod | undefined;
  if (o.pod) {
    const name = o.pod;
    pod = await kube.getOrUndefined(`read pod ${namespace}/${name}`, () =>
      kube.core.readNamespacedPod({ name, namespace }),
    );
    if (!pod)
      throw new RefusedError(
        `${o.what}: pod ${namespace}/${name} does not exist`,
      );
  } else if (o.selector) {
    const sel = o.selector;
    const pods = await kube.listAll<V1Pod>(
      `list pods in ${namespace}`,
      (cont, limit) =>
        kube.core.listNamespacedPod({
          namespace,
          labelSelector: sel,
          limit,
          _continue: cont,
        }),
    );
    const ready = pods
      .filter(
        (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
      )
      .sort((a, b) =>
        (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
    pod =
      ready.find((p) =>
        p.status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      ) ?? ready[0];
    if (!pod)
      throw new RefusedError(
        `${o.what}: no running pod in ${namespace} matches ${sel}`,
      );
  } else {
    throw new Error(`${o.what}: no pod given`);
  }
  const containers = pod.spec?.containers.map((c) => c.name) ?? [];
  const container = o.container || containers[0];
  if (!container || !containers.includes(container)) {
    throw new RefusedError(
      `${o.what}: pod ${namespace}/${pod.metadata?.name ?? '?'} has no container ${o.container ?? ''} (containers: ${containers.join(', ') || 'none'})`,
    );
  }
  return new PodRunner(kube, namespace, pod.metadata?.name ?? '', container);
}
