import type { Kube } from './client.js';
import type { NamespaceScope } from './cert-manager.js';
import { KubeError } from './errors.js';

/** `tls.crt` of TLS Secrets, keyed `namespace/name`; `problem` when it could not be read. */
export type SecretCerts = Map<string, { crt?: string; problem?: string }>;

type SecretItem = {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
};

/** `tls.crt` of every TLS Secret in scope, keyed `namespace/name`: 500 per request. */
async function listTlsSecrets(
  kube: Kube,
  scope: NamespaceScope,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keep = (s: SecretItem): void => {
    const crt = s.data?.['tls.crt'];
    if (crt) out.set(`${s.metadata?.namespace}/${s.metadata?.name}`, crt);
  };
  const fieldSelector = 'type=kubernetes.io/tls';
  if (scope === '*')
    (
      await kube.listAll<SecretItem>(
        'list TLS Secrets in all namespaces',
        (cont, limit) =>
          kube.core.listSecretForAllNamespaces({
            fieldSelector,
            limit,
            _continue: cont,
          }),
      )
    ).forEach(keep);
  else
    for (const namespace of scope)
      (
        await kube.listAll<SecretItem>(
          `list TLS Secrets in ${namespace}`,
          (cont, limit) =>
            kube.core.listNamespacedSecret({
              namespace,
              fieldSelector,
              limit,
              _continue: cont,
            }),
        )
      ).forEach(keep);
  return out;
}

/**
 * `tls.crt` of the Secrets named by `wantedSoon` (`namespace/name`, known
 * once the Certificates are listed): one paginated list of TLS Secrets over
 * the scope (500 per request, read while the Certificates are), then a GET
 * for the few not found there (an Opaque Secret, or a list that RBAC
 * forbids: a Role may grant `get` on named Secrets only). A missing Secret
 * has no `crt`.
 */
export async function readSecretCerts(
  kube: Kube,
  scope: NamespaceScope,
  wantedSoon: Promise<Set<string>>,
  onNote: (msg: string) => void,
): Promise<SecretCerts> {
  // The list starts at once, beside the Certificates' list that names the
  // Secrets wanted; it settles into a value so that neither can go unhandled.
  const listed = listTlsSecrets(kube, scope).then(
    (all) => ({ all, error: undefined }),
    (e: unknown) => ({
      all: undefined,
      error: e instanceof Error ? e : new Error(String(e)),
    }),
  );
  const wanted = await wantedSoon;
  const { all, error } = await listed;
  if (error !== undefined) {
    if (!(error instanceof KubeError && error.code === 403)) throw error;
    onNote(
      `listing Secrets is forbidden: reading the ${wanted.size} Secret(s) by name`,
    );
  }
  const out: SecretCerts = new Map();
  for (const key of wanted) {
    const crt = all?.get(key);
    if (crt !== undefined) out.set(key, { crt });
  }
  for (const key of wanted) {
    if (out.has(key)) continue;
    const [namespace = '', name = ''] = key.split('/');
    try {
      const s = await kube.getOrUndefined(`read Secret ${key}`, () =>
        kube.core.readNamespacedSecret({ namespace, name }),
      );
      out.set(key, { crt: s?.data?.['tls.crt'] });
    } catch (e) {
      if (!(e instanceof KubeError && e.code === 403)) throw e;
      out.set(key, { problem: 'reading it is forbidden (RBAC)' });
    }
  }
  return out;
}
