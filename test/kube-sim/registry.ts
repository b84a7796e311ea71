/** The resource types the simulator serves. */
import { type Obj, scalar } from './types.js';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources besides the resource itself. */
  subresources: string[];
  /** Extra field selectors beyond metadata.name / metadata.namespace. */
  fields: Record<string, (o: Obj) => string | undefined>;
  /** Custom resources refuse strategic merge patches (415). */
  custom?: boolean;
  /** Only POST (authorization reviews). */
  createOnly?: boolean;
  categories?: string[];
}

const CRUD = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function t(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    plural,
    kind,
    namespaced,
    singular: kind.toLowerCase(),
    subresources: [],
    fields: {},
    ...extra,
  };
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : scalar(v);

const eventFields: ResourceType['fields'] = {
  reason: (o) => str(o.reason),
  type: (o) => str(o.type),
  source: (o) => str(o.source?.component),
  reportingComponent: (o) => str(o.reportingComponent),
};
for (const f of [
  'kind',
  'namespace',
  'name',
  'uid',
  'apiVersion',
  'resourceVersion',
  'fieldPath',
]) {
  eventFields[`involvedObject.${f}`] = (o) => str(o.involvedObject?.[f]);
}

const all = ['all'];
export const TYPES: ResourceType[] = [
  t('', 'v1', 'namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    fields: { 'status.phase': (o) => str(o.status?.phase) },
  }),
  t('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    subresources: ['status', 'log', 'exec', 'eviction'],
    categories: all,
    fields: {
      'status.phase': (o) => str(o.status?.phase) ?? '',
      'spec.nodeName': (o) => str(o.spec?.nodeName) ?? '',
      'spec.restartPolicy': (o) => str(o.spec?.restartPolicy),
      'spec.schedulerName': (o) => str(o.spec?.schedulerName),
      'spec.serviceAccountName': (o) => str(o.spec?.serviceAccountName),
      'status.podIP': (o) => str(o.status?.podIP) ?? '',
      'status.nominatedNodeName': (o) => str(o.status?.nominatedNodeName) ?? '',
    },
  }),
  t('', 'v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    subresources: ['status'],
    categories: all,
  }),
  t('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  t('', 'v1', 'secrets', 'Secret', true, {
    fields: { type: (o) => str(o.type) },
  }),
  t('', 'v1', 'events', 'Event', true, {
    shortNames: ['ev'],
    fields: eventFields,
  }),
  t('', 'v1', 'serviceaccounts', 'ServiceAccount', true, {
    shortNames: ['sa'],
  }),
  t('', 'v1', 'nodes', 'Node', false, {
    shortNames: ['no'],
    subresources: ['status'],
    fields: { 'spec.unschedulable': (o) => String(!!o.spec?.unschedulable) },
  }),
  t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  t('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: all,
  }),
  t('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: all,
  }),
  // Served for listing and CRUD; no controller creates their pods.
  t('apps', 'v1', 'statefulsets', 'StatefulSet', true, {
    shortNames: ['sts'],
    subresources: ['status', 'scale'],
    categories: all,
  }),
  t('apps', 'v1', 'daemonsets', 'DaemonSet', true, {
    shortNames: ['ds'],
    subresources: ['status'],
    categories: all,
  }),
  t('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, {
    shortNames: ['netpol'],
  }),
  t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  t(
    'rbac.authorization.k8s.io',
    'v1',
    'clusterrolebindings',
    'ClusterRoleBinding',
    false,
  ),
  t('batch', 'v1', 'jobs', 'Job', true, {
    subresources: ['status'],
    categories: all,
  }),
  t('batch', 'v1', 'cronjobs', 'CronJob', true, {
    shortNames: ['cj'],
    subresources: ['status'],
    categories: all,
  }),
  t('cert-manager.io', 'v1', 'certificates', 'Certificate', true, {
    shortNames: ['cert', 'certs'],
    subresources: ['status'],
    custom: true,
    categories: ['cert-manager'],
  }),
  t(
    'cert-manager.io',
    'v1',
    'certificaterequests',
    'CertificateRequest',
    true,
    {
      shortNames: ['cr', 'crs'],
      subresources: ['status'],
      custom: true,
      categories: ['cert-manager'],
    },
  ),
  t('cert-manager.io', 'v1', 'issuers', 'Issuer', true, {
    subresources: ['status'],
    custom: true,
    categories: ['cert-manager'],
  }),
  t('cert-manager.io', 'v1', 'clusterissuers', 'ClusterIssuer', false, {
    subresources: ['status'],
    custom: true,
    categories: ['cert-manager'],
  }),
  t(
    'authorization.k8s.io',
    'v1',
    'selfsubjectrulesreviews',
    'SelfSubjectRulesReview',
    false,
    {
      createOnly: true,
    },
  ),
  t(
    'authorization.k8s.io',
    'v1',
    'selfsubjectaccessreviews',
    'SelfSubjectAccessReview',
    false,
    {
      createOnly: true,
    },
  ),
  t(
    'authorization.k8s.io',
    'v1',
    'subjectaccessreviews',
    'SubjectAccessReview',
    false,
    {
      createOnly: true,
    },
  ),
  t(
    'authorization.k8s.io',
    'v1',
    'localsubjectaccessreviews',
    'LocalSubjectAccessReview',
    true,
    {
      createOnly: true,
    },
  ),
];

/** metrics.k8s.io is served by its own handler but listed in discovery. */
export const METRICS_TYPES: ResourceType[] = [
  t('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true),
  t('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', false),
];

/** Verbs advertised in discovery. */
export function verbsOf(rt: ResourceType): string[] {
  if (rt.createOnly) return ['create'];
  if (rt.group === 'metrics.k8s.io') return ['get', 'list'];
  return CRUD;
}

/** `apps/v1` or `v1`. */
export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function findByPlural(
  group: string,
  version: string,
  plural: string,
): ResourceType | undefined {
  return TYPES.find(
    (r) => r.group === group && r.version === version && r.plural === plural,
  );
}

/** Find a type from `apiVersion` + `kind`. */
export function findByKind(
  apiVersion: string,
  kind: string,
): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/')
    ? apiVersion.split('/')
    : ['', apiVersion];
  return TYPES.find(
    (r) => r.group === group && r.version === version && r.kind === kind,
  );
}

/** Find a type by plural only (group wins over core ambiguity not needed). */
export function findByGroupResource(
  group: string,
  plural: string,
): ResourceType | undefined {
  return TYPES.find((r) => r.group === group && r.plural === plural);
}
