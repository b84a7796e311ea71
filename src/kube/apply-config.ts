import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';

type Obj = V1ConfigMap | V1Secret;

/** The read/create/replace calls of the two kinds config.yaml holds. */
function callsFor(kube: Kube, kind: 'ConfigMap' | 'Secret') {
  const c = kube.core;
  return kind === 'ConfigMap'
    ? {
        read: (name: string, namespace: string): Promise<Obj> =>
          c.readNamespacedConfigMap({ name, namespace }),
        create: (namespace: string, body: Obj): Promise<Obj> =>
          c.createNamespacedConfigMap({ namespace, body }),
        replace: (name: string, namespace: string, body: Obj): Promise<Obj> =>
          c.replaceNamespacedConfigMap({ name, namespace, body }),
      }
    : {
        read: (name: string, namespace: string): Promise<Obj> =>
          c.readNamespacedSecret({ name, namespace }),
        create: (namespace: string, body: Obj): Promise<Obj> =>
          c.createNamespacedSecret({ namespace, body }),
        replace: (name: string, namespace: string, body: Obj): Promise<Obj> =>
          c.replaceNamespacedSecret({ name, namespace, body }),
      };
}

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
  const api = callsFor(kube, kind);
  const what = `${kind} ${namespace}/${name}`;
  const current = await kube.getOrUndefined(`read ${what}`, () =>
    api.read(name, namespace),
  );
  const body = {
    ...doc,
    metadata: {
      ...meta,
      ...(current
        ? { resourceVersion: current.metadata?.resourceVersion }
        : {}),
    },
  } as Obj;
  try {
    if (current)
      await kube.call(
        `replace ${what}`,
        () => api.replace(name, namespace, body),
        false,
      );
    else
      await kube.call(
        `create ${what}`,
        () => api.create(namespace, body),
        false,
      );
  } catch (e) {
    if (e instanceof KubeError && e.code === 409)
      throw new Error(
        `${what} changed during the restore (409 Conflict); nothing else was overwritten for it`,
        {
          cause: e,
        },
      );
    throw e;
  }
  return current ? `replaced ${kind}` : `created ${kind}`;
}
