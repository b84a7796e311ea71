import type { Kube, ListPage } from './client.js';
import { KubeError } from './errors.js';

/** cert-manager's API group and version, as cmctl addresses it. */
export const CERT_MANAGER = {
  group: 'cert-manager.io',
  version: 'v1',
} as const;

/** A status condition of a cert-manager object. */
export interface CertCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid?: string; kind?: string; name?: string }[];
  creationTimestamp?: string;
}

/** The fields of a cert-manager Certificate this suite reads. */
export interface CertificateObject {
  metadata: ObjectMeta;
  spec?: {
    secretName?: string;
    issuerRef?: { name?: string; kind?: string; group?: string };
    dnsNames?: string[];
    commonName?: string;
  };
  status?: {
    conditions?: CertCondition[];
    notBefore?: string;
    notAfter?: string;
    renewalTime?: string;
    revision?: number;
    failedIssuanceAttempts?: number;
    lastFailureTime?: string;
  };
}

/** The fields of a CertificateRequest this suite reads. */
export interface CertificateRequestObject {
  metadata: ObjectMeta;
  status?: { conditions?: CertCondition[]; failureTime?: string };
}

/** Which namespaces a scan covers: a list, or every namespace ('*'). */
export type NamespaceScope = readonly string[] | '*';

/** A condition of an object by type. */
export function conditionOf(
  conds: CertCondition[] | undefined,
  type: string,
): CertCondition | undefined {
  return conds?.find((c) => c.type === type);
}

async function listCustom<T>(
  kube: Kube,
  plural: string,
  scope: NamespaceScope,
  labelSelector: string | undefined,
): Promise<T[]> {
  const base = { ...CERT_MANAGER, plural, labelSelector };
  if (scope === '*')
    return kube.listAll<T>(
      `list ${plural} in all namespaces`,
      (cont, limit) =>
        kube.custom.listClusterCustomObject({
          ...base,
          limit,
          _continue: cont,
        }) as Promise<ListPage<T>>,
    );
  const out: T[] = [];
  for (const namespace of scope)
    out.push(
      ...(await kube.listAll<T>(
        `list ${plural} in ${namespace}`,
        (cont, limit) =>
          kube.custom.listNamespacedCustomObject({
            ...base,
            namespace,
            limit,
            _continue: cont,
          }) as Promise<ListPage<T>>,
      )),
    );
  return out;
}

/** Every Certificate in scope, 500 per request. */
export function listCertificates(
  kube: Kube,
  scope: NamespaceScope,
  labelSelector?: string,
): Promise<CertificateObject[]> {
  return listCustom<CertificateObject>(
    kube,
    'certificates',
    scope,
    labelSelector,
  );
}

/** Every CertificateRequest in the given namespaces. */
export function listCertificateRequests(
  kube: Kube,
  namespaces: readonly string[],
): Promise<CertificateRequestObject[]> {
  return listCustom<CertificateRequestObject>(
    kube,
    'certificaterequests',
    namespaces,
    undefined,
  );
}

/** One Certificate, or undefined when it is gone. */
export async function readCertificate(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<CertificateObject | undefined> {
  return kube.getOrUndefined(
    `read Certificate ${namespace}/${name}`,
    () =>
      kube.custom.getNamespacedCustomObject({
        ...CERT_MANAGER,
        plural: 'certificates',
        namespace,
        name,
      }) as Promise<CertificateObject>,
  );
}

/** The condition cmctl renew sets: the issuing controller takes it from there. */
export const MANUAL_RENEWAL: CertCondition = {
  type: 'Issuing',
  status: 'True',
  reason: 'ManuallyTriggered',
  message: 'Certificate re-issuance manually triggered',
};

/**
 * Renews a Certificate as `cmctl renew` does: the Issuing=True condition,
 * through the status subresource, nothing else. The patch carries the
 * resourceVersion the caller read, so a Certificate that changed since is a
 * 409 conflict, never a blind write.
 */
export async function triggerRenewal(
  kube: Kube,
  cert: CertificateObject,
  now: Date,
): Promise<void> {
  const { namespace, name, resourceVersion, generation } = cert.metadata;
  const conditions = [
    ...(cert.status?.conditions ?? []).filter((c) => c.type !== 'Issuing'),
    {
      ...MANUAL_RENEWAL,
      lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    },
  ];
  await kube.call(
    `renew Certificate ${namespace}/${name}`,
    () =>
      kube.custom.patchNamespacedCustomObjectStatus(
        {
          ...CERT_MANAGER,
          plural: 'certificates',
          namespace,
          name,
          body: { metadata: { resourceVersion }, status: { conditions } },
        },
        kube.lib.setHeaderOptions(
          'Content-Type',
          kube.lib.PatchStrategy.MergePatch,
        ),
      ),
    false,
  );
}

/**
 * Deletes one CertificateRequest, only if it is still the object that was
 * planned (uid precondition); a request already gone counts as deleted.
 */
export async function deleteCertificateRequest(
  kube: Kube,
  namespace: string,
  name: string,
  uid: string | undefined,
): Promise<'deleted' | 'gone'> {
  try {
    await kube.call(
      `delete CertificateRequest ${namespace}/${name}`,
      () =>
        kube.custom.deleteNamespacedCustomObject({
          ...CERT_MANAGER,
          plural: 'certificaterequests',
          namespace,
          name,
          body: uid ? { preconditions: { uid } } : {},
        }),
      false,
    );
    return 'deleted';
  } catch (e) {
    if (e instanceof KubeError && e.code === 404) return 'gone';
    throw e;
  }
}

/** True when a CertificateRequest has failed for good (cert-manager's Failed, Denied or InvalidRequest). */
export function requestFailed(cr: CertificateRequestObject): boolean {
  const ready = conditionOf(cr.status?.conditions, 'Ready');
  if (ready?.status === 'False' && ready.reason === 'Failed') return true;
  return (cr.status?.conditions ?? []).some(
    (c) =>
      (c.type === 'Denied' || c.type === 'InvalidRequest') &&
      c.status === 'True',
  );
}

/**
 * The newest failed CertificateRequest of a Certificate (highest
 * `cert-manager.io/certificate-revision` among its own requests), if the
 * newest one is failed.
 */
export function newestFailedRequest(
  cert: CertificateObject,
  requests: CertificateRequestObject[],
): CertificateRequestObject | undefined {
  const own = requests.filter(
    (r) =>
      r.metadata.namespace === cert.metadata.namespace &&
      r.metadata.annotations?.['cert-manager.io/certificate-name'] ===
        cert.metadata.name &&
      (r.metadata.ownerReferences ?? []).some(
        (o) => !cert.metadata.uid || o.uid === cert.metadata.uid,
      ),
  );
  const rev = (r: CertificateRequestObject): number =>
    Number(
      r.metadata.annotations?.['cert-manager.io/certificate-revision'] ?? 0,
    );
  const newest = own.sort((a, b) => rev(b) - rev(a))[0];
  return newest && requestFailed(newest) ? newest : undefined;
}
