import type { Kube } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';

/**
 * Creates or replaces one ConfigMap/Secret from config.yaml in `namespace`.
 * A replace carries the live resourceVersion, so a concurrent change makes it
 * fail (409) rather than be overwritten blindly. Returns what was done.
 */
export async function applyConfig(
  kube: Kube,
  namespace: string,
  doc: Record<string, unknown>,
): Promise<string> {
  const kind = doc['kind'] as 'ConfigMap' | 'Secret';
  const meta: Record<string, unknown> = {
    ...(doc['metadata'] as Record<string, unknown>),
    namespace,
  };
  const name = String(meta['name']);
  const read = () =>
    kind === 'ConfigMap'
      ? kube.getOrUndefined(`read ConfigMap ${namespace}/${name}`, () =>
          kube.core.readNamespacedConfigMap({ name, namespace }),
        )
      : kube.getOrUndefined(`read Secret ${namespace}/${name}`, () =>
          kube.core.readNamespacedSecret({ name, namespace }),
        );
  const current = await read();
  const body = {
    ...doc,
    metadata: {
      ...meta,
      ...(current
        ? { resourceVersion: current.metadata?.resourceVersion }
        : {}),
    },
  };
  try {
    if (kind === 'ConfigMap') {
      if (current)
        await kube.call(
          `replace ConfigMap ${namespace}/${name}`,
          () =>
            kube.core.replaceNamespacedConfigMap({
              name,
              namespace,
              body: body,
            }),
          false,
        );
      else
        await kube.call(
          `create ConfigMap ${namespace}/${name}`,
          () =>
            kube.core.createNamespacedConfigMap({
              namespace,
              body: body,
            }),
          false,
        );
    } else if (current)
      await kube.call(
        `replace Secret ${namespace}/${name}`,
        () =>
          kube.core.replaceNamespacedSecret({
            name,
            namespace,
            body: body,
          }),
        false,
      );
    else
      await kube.call(
        `create Secret ${namespace}/${name}`,
        () =>
          kube.core.createNamespacedSecret({
            namespace,
            body: body,
          }),
        false,
      );
  } catch (e) {
    if (e instanceof KubeError && e.code === 409)
      throw new Error(
        `${kind} ${namespace}/${name} changed during the restore (409 Conflict); nothing else was overwritten for it`,
        { cause: e },
      );
    throw e;
  }
  return current ? `replaced ${kind}` : `created ${kind}`;
}
