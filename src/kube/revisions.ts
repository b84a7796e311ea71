import type {
  V1Deployment,
  V1LabelSelector,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';

/** The annotation that numbers a Deployment's revisions. */
export const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

/**
 * Annotations `kubectl rollout undo` keeps from the Deployment instead of
 * copying them from the ReplicaSet (kubectl polymorphichelpers/rollback.go).
 */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** An object's revision number (0 when it has none). */
export function revisionOf(o: {
  metadata?: { annotations?: Record<string, string> };
}): number {
  const n = Number(o.metadata?.annotations?.[REVISION] ?? 0);
  return Number.isInteger(n) ? n : 0;
}

/** A label selector as the list API takes it. */
export function selectorString(s: V1LabelSelector | undefined): string {
  const parts = Object.entries(s?.matchLabels ?? {}).map(
    ([k, v]) => `${k}=${v}`,
  );
  for (const e of s?.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** The ReplicaSets the Deployment controls (its selector, its uid as controller). */
export async function replicaSetsOf(
  kube: Kube,
  d: V1Deployment,
): Promise<V1ReplicaSet[]> {
  const namespace = d.metadata?.namespace ?? '';
  const uid = d.metadata?.uid;
  const labelSelector = selectorString(d.spec?.selector);
  const all = await kube.listAll<V1ReplicaSet>(
    `list replicasets of deployment ${namespace}/${d.metadata?.name ?? ''}`,
    (cont, limit) =>
      kube.apps.listNamespacedReplicaSet({
        namespace,
        labelSelector,
        limit,
        _continue: cont,
      }),
  );
  return all.filter((rs) =>
    rs.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid),
  );
}

/** Plain JSON of a typed object, keys sorted, nulls and undefined left out. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] != null)
        .map((k) => [k, plain((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** A pod template as sent back to the API server, without the hash label. */
export function templateWithoutHash(t: V1PodTemplateSpec | undefined): {
  metadata?: { labels?: Record<string, string> };
  [k: string]: unknown;
} {
  const c = plain(t ?? {}) as {
    metadata?: { labels?: Record<string, string> };
  };
  if (c.metadata?.labels) {
    const { [HASH]: _h, ...labels } = c.metadata.labels;
    c.metadata = { ...c.metadata, labels };
  }
  return c;
}

/** Whether two pod templates are equal, ignoring the hash label (kubectl's equalIgnoreHash). */
export function sameTemplate(
  a: V1PodTemplateSpec | undefined,
  b: V1PodTemplateSpec | undefined,
): boolean {
  return (
    JSON.stringify(templateWithoutHash(a)) ===
    JSON.stringify(templateWithoutHash(b))
  );
}

/** How an undo ended. */
export interface UndoOutcome {
  /** The revision whose template was restored. */
  revision: number;
  /** "rolled back", or "skipped rollback (current template already matches revision N)". */
  message: string;
  /** The restored template's images, container by container. */
  images: Record<string, string>;
}

/**
 * Rolls a Deployment back to `toRevision` (0: the previous one) the way
 * `kubectl rollout undo` does: the ReplicaSet of that revision, its pod
 * template with the pod-template-hash label removed, patched over
 * spec.template with the ReplicaSet's annotations (except the revision
 * bookkeeping ones, kept from the Deployment). Refuses a paused Deployment,
 * as kubectl does.
 */
export async function undoDeployment(
  kube: Kube,
  namespace: string,
  name: string,
  toRevision: number,
): Promise<UndoOutcome> {
  const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
    kube.apps.readNamespacedDeployment({ name, namespace }),
  );
  const rs = pickRevision(await replicaSetsOf(kube, d), toRevision, name);
  const revision = revisionOf(rs);
  const template = rs.spec?.template;
  const images = Object.fromEntries(
    (template?.spec?.containers ?? []).map((c) => [c.name, c.image ?? '']),
  );
  if (d.spec?.paused)
    throw new KubeError(
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
      400,
      'BadRequest',
    );
  if (sameTemplate(template, d.spec?.template))
    return {
      revision,
      message: `skipped rollback (current template already matches revision ${revision})`,
      images,
    };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {}))
    if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {}))
    if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  const body = [
    {
      op: 'replace',
      path: '/spec/template',
      value: templateWithoutHash(template),
    },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
  await kube.call(`undo deployment ${namespace}/${name}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name, namespace, body },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.JsonPatch,
      ),
    ),
  );
  return { revision, message: 'rolled back', images };
}

/** kubectl's deploymentRevision: the exact revision, or (0) the second newest. */
function pickRevision(
  all: V1ReplicaSet[],
  toRevision: number,
  name: string,
): V1ReplicaSet {
  if (toRevision > 0) {
    const rs = all.find((r) => revisionOf(r) === toRevision);
    if (!rs)
      throw new KubeError(
        `unable to find specified revision ${toRevision} in history`,
        404,
        'NotFound',
      );
    return rs;
  }
  const sorted = all
    .filter((r) => revisionOf(r) > 0)
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  const previous = sorted[1];
  if (!previous)
    throw new KubeError(
      `no rollout history found for deployment "${name}"`,
      404,
      'NotFound',
    );
  return previous;
}

/**
 * Sets one container's image the way `kubectl set image` changes the
 * template, as a JSON patch that first tests the Deployment's generation and
 * the container's name and image: it applies only to the Deployment the plan
 * was checked against (else 422, nothing changed).
 */
export async function setContainerImage(
  kube: Kube,
  namespace: string,
  name: string,
  c: {
    index: number;
    name: string;
    from: string;
    to: string;
    generation: number;
  },
): Promise<void> {
  const at = `/spec/template/spec/containers/${c.index}`;
  const body = [
    { op: 'test', path: '/metadata/generation', value: c.generation },
    { op: 'test', path: `${at}/name`, value: c.name },
    { op: 'test', path: `${at}/image`, value: c.from },
    { op: 'replace', path: `${at}/image`, value: c.to },
  ];
  await kube.call(`set image of deployment ${namespace}/${name}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name, namespace, body },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.JsonPatch,
      ),
    ),
  );
}
