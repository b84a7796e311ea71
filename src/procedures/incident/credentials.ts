import { randomBytes } from 'node:crypto';
import type { V1Deployment, V1Secret } from '@kubernetes/client-node';
import { RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import type { StateRef } from '../../plan/plan.js';

/** The Secret as a plan's basis. Its values are never part of it. */
export async function readSecret(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<{ secret: V1Secret; ref: StateRef }> {
  const secret = await kube.getOrUndefined(
    `read secret ${namespace}/${name}`,
    () => kube.core.readNamespacedSecret({ name, namespace }),
  );
  if (!secret)
    throw new RefusedError(
      `Secret ${namespace}/${name} does not exist: name the application's Secret in 'secret-name'`,
    );
  return {
    secret,
    ref: {
      object: `Secret ${namespace}/${name}`,
      uid: secret.metadata?.uid,
      versionKind: 'resourceVersion',
      version: secret.metadata?.resourceVersion ?? '',
    },
  };
}

/** Keys of `keys` the Secret lacks (rotation replaces, it never adds). */
export function missingKeys(secret: V1Secret, keys: string[]): string[] {
  const have = new Set(Object.keys(secret.data ?? {}));
  return keys.filter((k) => !have.has(k));
}

/** The current values of `keys` as KEY=value lines (for the encrypted evidence only). */
export function previousValues(
  secret: V1Secret,
  keys: string[],
  mask: (s: string) => void,
): string {
  return keys
    .map((k) => {
      const v = Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
      if (v !== '') mask(v);
      return `${k}=${v}\n`;
    })
    .join('');
}

/**
 * Replaces the values of `keys`: the given ones, else 32 random bytes
 * (base64url). Each new value is masked before it exists anywhere else.
 * A PUT of the Secret as read, so a Secret changed since is a conflict,
 * never overwritten.
 */
export async function rotateKeys(
  kube: Kube,
  secret: V1Secret,
  keys: string[],
  given: Record<string, string>,
  mask: (s: string) => void,
): Promise<void> {
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  const data = { ...(secret.data ?? {}) };
  for (const k of keys) {
    const v = given[k] ?? randomBytes(32).toString('base64url');
    mask(v);
    data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  const body: V1Secret = { ...secret, data };
  delete body.stringData;
  await kube.call(
    `replace secret ${namespace}/${name}`,
    () => kube.core.replaceNamespacedSecret({ name, namespace, body }),
    false,
  );
}

/** The container debug-env goes on: the named one, or the template's first. */
export function debugContainer(
  d: V1Deployment,
  container: string | undefined,
): string {
  const names = (d.spec?.template.spec?.containers ?? []).map((c) => c.name);
  const c = container ?? names[0];
  if (!c || !names.includes(c))
    throw new RefusedError(
      `Deployment ${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''} has no container ${c ?? ''} (containers: ${names.join(', ') || 'none'})`,
    );
  return c;
}

/** The env the container has now for each debug-env name ("unset" when absent). */
export function envBefore(
  d: V1Deployment,
  container: string,
  env: [string, string][],
): string {
  const c = d.spec?.template.spec?.containers.find((x) => x.name === container);
  return env
    .map(([k]) => {
      const e = c?.env?.find((x) => x.name === k);
      return `${k}=${e ? (e.value ?? '(from a reference)') : '(unset)'}`;
    })
    .join(', ');
}

/** Sets env on one container (strategic merge by name), as kubectl set env does. */
export async function setEnv(
  kube: Kube,
  namespace: string,
  name: string,
  container: string,
  env: [string, string][],
): Promise<void> {
  const body = {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: container,
              env: env.map(([k, value]) => ({ name: k, value })),
            },
          ],
        },
      },
    },
  };
  await kube.call(`set env on deployment ${namespace}/${name}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name, namespace, body },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.StrategicMergePatch,
      ),
    ),
  );
}

/** `NAME=value` settings as pairs. */
export function envPairs(list: string[]): [string, string][] {
  return list.map((s) => {
    const i = s.indexOf('=');
    return [s.slice(0, i), s.slice(i + 1)];
  });
}
