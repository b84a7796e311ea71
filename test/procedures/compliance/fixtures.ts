// The cluster the compliance tests write: a compliant workload, and one
// workload per violation, each the compliant one with exactly one change.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import {
  container,
  deployment,
  namespace,
} from '../../helpers/kube-objects.js';

export const NS = 'audit';
const DIGEST = `ghcr.io/pqc-ops/pqc-audit@sha256:${'ab'.repeat(32)}`;

/** A container that passes every rule. */
export function goodContainer(name = 'app'): V1Container {
  return container(name, DIGEST, {
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
  });
}

/** A Deployment whose pod spec is the compliant one, changed by `change`. */
export function workload(
  name: string,
  change: (spec: V1PodSpec, c: V1Container) => void = () => undefined,
  replicas = 0,
  labels: Record<string, string> = { app: name },
) {
  const c = goodContainer();
  const d = deployment({
    name,
    namespace: NS,
    replicas,
    labels,
    containers: [c],
  });
  const spec = d.spec!.template.spec!;
  spec.serviceAccountName = 'pqc-audit';
  spec.automountServiceAccountToken = false;
  change(spec, c);
  return d;
}

/** One Deployment per violation, and the findings (rule, object) each must produce. */
export const VIOLATIONS: [
  string,
  (s: V1PodSpec, c: V1Container) => void,
  string[],
][] = [
  [
    'privileged',
    (_s, c) => {
      c.securityContext!.privileged = true;
      // The API refuses privileged with allowPrivilegeEscalation false.
      delete c.securityContext!.allowPrivilegeEscalation;
    },
    ['privileged', 'allow-privilege-escalation'],
  ],
  ['host-network', (s) => (s.hostNetwork = true), ['host-network']],
  ['host-pid', (s) => (s.hostPID = true), ['host-pid']],
  ['host-ipc', (s) => (s.hostIPC = true), ['host-ipc']],
  [
    'run-as-root',
    (_s, c) => {
      c.securityContext!.runAsUser = 0;
      delete c.securityContext!.runAsNonRoot;
    },
    ['run-as-non-root'],
  ],
  [
    'escalation',
    (_s, c) => delete c.securityContext!.allowPrivilegeEscalation,
    ['allow-privilege-escalation'],
  ],
  [
    'writable-root',
    (_s, c) => (c.securityContext!.readOnlyRootFilesystem = false),
    ['read-only-root-filesystem'],
  ],
  [
    'keeps-caps',
    (_s, c) => (c.securityContext!.capabilities = {}),
    ['drop-capabilities'],
  ],
  [
    'adds-sys-admin',
    (_s, c) => (c.securityContext!.capabilities!.add = ['SYS_ADMIN']),
    ['added-capabilities'],
  ],
  ['no-limits', (_s, c) => delete c.resources!.limits, ['resources']],
  [
    'latest',
    (_s, c) => (c.image = 'ghcr.io/pqc-ops/pqc-audit:latest'),
    ['image-pinned'],
  ],
  [
    'no-probes',
    (_s, c) => {
      delete c.readinessProbe;
      delete c.livenessProbe;
    },
    ['probes'],
  ],
  [
    'token',
    (s) => delete s.automountServiceAccountToken,
    ['service-account-token'],
  ],
];

/** The controls of each rule, as the report must show them. */
export const RULE_CONTROLS: Record<string, string[]> = {
  privileged: ['AC-6', 'CM-7'],
  'host-network': ['AC-6', 'SC-7'],
  'host-pid': ['AC-6', 'SC-39'],
  'host-ipc': ['AC-6', 'SC-39'],
  'run-as-non-root': ['AC-6', 'CM-6'],
  'allow-privilege-escalation': ['AC-6', 'CM-6'],
  'read-only-root-filesystem': ['CM-7', 'SI-7'],
  'drop-capabilities': ['AC-6', 'CM-7'],
  'added-capabilities': ['AC-6', 'CM-7'],
  resources: ['CM-6', 'SC-6'],
  'image-pinned': ['CM-2', 'SI-7'],
  probes: ['SI-4'],
  'service-account-token': ['AC-6', 'CM-7'],
  'network-default-deny-ingress': ['AC-4', 'SC-7', 'SC-7(5)'],
  'network-default-deny-egress': ['AC-4', 'SC-7', 'SC-7(5)'],
  'rbac-forbidden': ['AC-3', 'AC-6'],
  'app-compliance-check': ['CA-7', 'SC-13'],
  'app-compliance-report': ['CA-2', 'CA-7'],
  'app-compliance-logs': ['AU-6', 'CA-7'],
};

/** Weights of the score by severity, and each rule's severity. */
export const WEIGHTS = { critical: 4, high: 3, medium: 2, low: 1 };
export const RULE_SEVERITY: Record<string, keyof typeof WEIGHTS> = {
  privileged: 'critical',
  'host-network': 'high',
  'host-pid': 'high',
  'host-ipc': 'high',
  'run-as-non-root': 'medium',
  'allow-privilege-escalation': 'medium',
  'read-only-root-filesystem': 'low',
  'drop-capabilities': 'medium',
  'added-capabilities': 'high',
  resources: 'medium',
  'image-pinned': 'medium',
  probes: 'low',
  'service-account-token': 'medium',
};

/** The namespace, the application's ServiceAccount and a Role that lets it exec. */
export function baseObjects(): object[] {
  return [
    namespace(NS),
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'pqc-audit', namespace: NS },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'app', namespace: NS },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'app', namespace: NS },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'app',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'pqc-audit', namespace: NS }],
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-ingress', namespace: NS },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-http', namespace: NS },
      spec: {
        podSelector: { matchLabels: { app: 'pqc-audit' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 8080 }] }],
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
      },
    },
  ];
}
