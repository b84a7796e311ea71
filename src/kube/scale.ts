import type { Kube } from './client.js';

/**
 * Sets a Deployment's replica count through the scale subresource (a merge
 * patch, as kubectl scale does).
 */
export async function setReplicas(
  kube: Kube,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await kube.call(`scale Deployment ${namespace}/${name}`, () =>
    kube.apps.patchNamespacedDeploymentScale(
      { name, namespace, body: { spec: { replicas } } },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.MergePatch,
      ),
    ),
  );
}
