import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Kube } from '../kube/client.js';

/** config.yaml, in memory only (it may hold Secret data). */
export interface ConfigSnapshot {
  yaml: Buffer;
  sha256: string;
  configMaps: string[];
  secrets: string[];
}

const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Removes what the server sets, so `kubectl apply` takes the object anywhere. */
export function cleanObject(
  kind: 'ConfigMap' | 'Secret',
  o: Record<string, unknown>,
): Record<string, unknown> {
  const meta = { ...((o['metadata'] as Record<string, unknown>) ?? {}) };
  for (const f of SERVER_FIELDS) delete meta[f];
  const ann = { ...((meta['annotations'] as Record<string, string>) ?? {}) };
  delete ann[LAST_APPLIED];
  if (Object.keys(ann).length > 0) meta['annotations'] = ann;
  else delete meta['annotations'];
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
  return { apiVersion: 'v1', kind, metadata: meta, ...rest };
}

/**
 * The namespace's ConfigMaps and Secrets matching `selector` (all when
 * undefined), as multi-document YAML. Cluster-managed objects (the
 * kube-root-ca.crt ConfigMap, service-account token Secrets) are left out.
 * Every Secret value is handed to `mask` before anything else.
 */
export async function collectConfig(
  kube: Kube,
  namespace: string,
  selector: string | undefined,
  mask: (s: string) => void,
): Promise<ConfigSnapshot> {
  const labelSelector = selector;
  const cms = await kube.listAll<V1ConfigMap>(
    `list configmaps in ${namespace}`,
    (cont, limit) =>
      kube.core.listNamespacedConfigMap({
        namespace,
        labelSelector,
        limit,
        _continue: cont,
      }),
  );
  const secrets = await kube.listAll<V1Secret>(
    `list secrets in ${namespace}`,
    (cont, limit) =>
      kube.core.listNamespacedSecret({
        namespace,
        labelSelector,
        limit,
        _continue: cont,
      }),
  );
  // ConfigMap and Secret model fields carry their wire names; JSON turns Dates back into strings.
  const wire = (x: unknown) =>
    JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
  const keptCms = cms
    .filter((c) => c.metadata?.name !== 'kube-root-ca.crt')
    .sort(byName);
  const keptSecrets = secrets
    .filter((s) => s.type !== 'kubernetes.io/service-account-token')
    .sort(byName);
  for (const s of keptSecrets) {
    for (const v of [
      ...Object.values(s.data ?? {}),
      ...Object.values(s.stringData ?? {}),
    ]) {
      mask(v);
      const plain = Buffer.from(v, 'base64').toString('utf8');
      if (plain.length >= 4) mask(plain);
    }
  }
  const docs = [
    ...keptCms.map((c) => cleanObject('ConfigMap', wire(c))),
    ...keptSecrets.map((s) => cleanObject('Secret', wire(s))),
  ];
  const yaml = Buffer.from(
    docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'),
    'utf8',
  );
  return {
    yaml,
    sha256: createHash('sha256').update(yaml).digest('hex'),
    configMaps: keptCms.map((c) => c.metadata?.name ?? ''),
    secrets: keptSecrets.map((s) => s.metadata?.name ?? ''),
  };
}

function byName(
  a: { metadata?: { name?: string } },
  b: { metadata?: { name?: string } },
): number {
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
