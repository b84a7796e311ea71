import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { digestOfImageId, parseImage } from '../../kube/image.js';
import { revisionOf, selectorString } from '../../kube/revisions.js';
import type { StateRef } from '../../plan/plan.js';

/** The Deployment as the plan and the drift check see it. */
export interface DeploymentState {
  deployment: V1Deployment;
  ref: StateRef;
  revision: number;
  generation: number;
  paused: boolean;
  /** The container the rollout sets, and where it is in the template. */
  container: { name: string; index: number; image: string };
}

/** Reads the Deployment and finds the container (named, or the first). */
export async function readDeployment(
  kube: Kube,
  namespace: string,
  name: string,
  container: string | undefined,
): Promise<DeploymentState> {
  const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
    kube.apps.readNamespacedDeployment({ name, namespace }),
  );
  const containers = d.spec?.template.spec?.containers ?? [];
  const index = container
    ? containers.findIndex((c) => c.name === container)
    : 0;
  const c = containers[index];
  if (!c)
    throw new RefusedError(
      `Deployment ${namespace}/${name} has no container ${container ?? ''} (containers: ${containers.map((x) => x.name).join(', ') || 'none'})`,
    );
  const revision = revisionOf(d);
  const generation = d.metadata?.generation ?? 0;
  const paused = d.spec?.paused === true;
  return {
    deployment: d,
    revision,
    generation,
    paused,
    container: { name: c.name, index, image: c.image ?? '' },
    ref: {
      object: `Deployment ${namespace}/${name}`,
      uid: d.metadata?.uid,
      versionKind: 'generation',
      version: String(generation),
      state: `revision ${revision}, ${c.name}=${c.image ?? ''}${paused ? ', paused' : ''}`,
    },
  };
}

/**
 * The digests the pods running `image` in `container` report (their
 * imageID): what the registry actually served for a tag.
 */
export async function runningDigests(
  kube: Kube,
  d: V1Deployment,
  container: string,
  image: string,
): Promise<string[]> {
  const namespace = d.metadata?.namespace ?? '';
  const pods = await kube.listAll<V1Pod>(
    `list pods of deployment ${namespace}/${d.metadata?.name ?? ''}`,
    (cont, limit) =>
      kube.core.listNamespacedPod({
        namespace,
        labelSelector: selectorString(d.spec?.selector),
        limit,
        _continue: cont,
      }),
  );
  const out = new Set<string>();
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const spec = p.spec?.containers.find((c) => c.name === container);
    if (spec?.image !== image) continue;
    const st = p.status?.containerStatuses?.find((c) => c.name === container);
    const digest = digestOfImageId(st?.imageID);
    if (digest) out.add(digest);
  }
  return [...out].sort();
}

/** The digest an image reference pins, if any. */
export function pinnedDigest(image: string): string | undefined {
  try {
    return parseImage(image).digest;
  } catch {
    return undefined;
  }
}
