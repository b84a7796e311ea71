// Builders for the Kubernetes objects the tests seed a cluster with, so a
// test says what matters (a name, a label, a replica count) and the builder
// fills in the rest of the shape. Each returns plain JSON, as the API server
// would store it: a key is left out rather than set to undefined.
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1Namespace,
  V1ObjectMeta,
  V1Pod,
  V1Secret,
  V1Volume,
} from '@kubernetes/client-node';
import {
  BEHAVIOR_ANNOTATION,
  ISSUANCE_ANNOTATION,
  type PodBehavior,
} from '../kube-sim/index.js';

type Labels = Record<string, string>;

/** Gives `T` its `apiVersion` and `kind` as literal types, and a metadata with a name. */
type Typed<T, A extends string, K extends string> = Omit<
  T,
  'apiVersion' | 'kind' | 'metadata'
> & {
  apiVersion: A;
  kind: K;
  metadata: V1ObjectMeta & { name: string };
};

/** Only the entries whose value is defined. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** Object metadata: name, namespace, and labels and annotations when given. */
function meta(
  name: string,
  namespace: string,
  labels?: Labels,
  annotations?: Labels,
): V1ObjectMeta & { name: string } {
  return { name, namespace, ...defined({ labels, annotations }) };
}

/** A MicroTime as the API server writes it: six fraction digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace('Z', '000Z');
}

/** A Namespace. */
export function namespace(name: string): Typed<V1Namespace, 'v1', 'Namespace'> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** One container, named and with an image, plus any other fields. */
export function container(
  name: string,
  image: string,
  more: Omit<V1Container, 'name' | 'image'> = {},
): V1Container {
  return { name, image, ...more };
}

/** A bare Pod (no controller owns it). */
export function pod(o: {
  name: string;
  namespace: string;
  labels?: Labels;
  annotations?: Labels;
  containers: V1Container[];
  volumes?: V1Volume[];
}): Typed<V1Pod, 'v1', 'Pod'> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(o.name, o.namespace, o.labels, o.annotations),
    spec: { containers: o.containers, ...defined({ volumes: o.volumes }) },
  };
}

/** A Deployment whose selector and pod template carry `labels`. */
export function deployment(o: {
  name: string;
  namespace: string;
  replicas: number;
  /** The selector and the pod template's labels; default `{ app: name }`. */
  labels?: Labels;
  /** Labels on the Deployment itself; default none. */
  deploymentLabels?: Labels;
  /** One container, named like the Deployment, with this image... */
  image?: string;
  /** ...or these containers. */
  containers?: V1Container[];
  volumes?: V1Volume[];
  /** How kube-sim's pods of this Deployment behave (an annotation). */
  behavior?: PodBehavior;
  progressDeadlineSeconds?: number;
}): Typed<V1Deployment, 'apps/v1', 'Deployment'> {
  const labels = o.labels ?? { app: o.name };
  const containers =
    o.containers ?? (o.image ? [container(o.name, o.image)] : undefined);
  if (!containers)
    throw new Error(`deployment ${o.name}: give an image or the containers`);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(o.name, o.namespace, o.deploymentLabels),
    spec: {
      replicas: o.replicas,
      ...defined({ progressDeadlineSeconds: o.progressDeadlineSeconds }),
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          ...(o.behavior
            ? { annotations: { [BEHAVIOR_ANNOTATION]: o.behavior } }
            : {}),
        },
        spec: { containers, ...defined({ volumes: o.volumes }) },
      },
    },
  };
}

/** A Secret, by default Opaque; values as `stringData` (the server encodes them). */
export function secret(o: {
  name: string;
  namespace: string;
  labels?: Labels;
  stringData?: Labels;
  /** Values already base64-encoded. */
  data?: Labels;
  type?: string;
}): Typed<V1Secret, 'v1', 'Secret'> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(o.name, o.namespace, o.labels),
    type: o.type ?? 'Opaque',
    ...defined({ stringData: o.stringData, data: o.data }),
  };
}

/** A ConfigMap. */
export function configMap(o: {
  name: string;
  namespace: string;
  labels?: Labels;
  data: Labels;
}): Typed<V1ConfigMap, 'v1', 'ConfigMap'> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(o.name, o.namespace, o.labels),
    data: o.data,
  };
}

/** A coordination.k8s.io Lease as the server stores it (times are MicroTime strings). */
export interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: V1ObjectMeta & { name: string };
  spec: {
    holderIdentity: string;
    leaseDurationSeconds: number;
    acquireTime?: string;
    renewTime: string;
  };
}

/** A Lease held by `holder`, last renewed at `renewTime`. */
export function lease(o: {
  name: string;
  namespace: string;
  holder: string;
  durationSeconds: number;
  renewTime: Date;
  acquireTime?: Date;
}): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      holderIdentity: o.holder,
      leaseDurationSeconds: o.durationSeconds,
      ...(o.acquireTime ? { acquireTime: microTime(o.acquireTime) } : {}),
      renewTime: microTime(o.renewTime),
    },
  };
}

/** A status condition of a cert-manager object. */
export interface CertificateCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** The status of a Certificate, as cert-manager writes it. */
export interface CertificateStatus {
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
  revision?: number;
  conditions?: CertificateCondition[];
  failedIssuanceAttempts?: number;
  lastFailureTime?: string;
}

/** A cert-manager.io/v1 Certificate. */
export interface CertificateObject {
  apiVersion: 'cert-manager.io/v1';
  kind: 'Certificate';
  metadata: V1ObjectMeta & { name: string };
  spec: {
    secretName: string;
    issuerRef: { name: string; kind?: string; group?: string };
    dnsNames?: string[];
    commonName?: string;
    duration?: string;
    renewBefore?: string;
    privateKey?: {
      algorithm?: string;
      size?: number;
      rotationPolicy?: string;
    };
    secretTemplate?: { labels?: Labels; annotations?: Labels };
  };
  status?: CertificateStatus;
}

/**
 * A Certificate issued by `issuer` (a ClusterIssuer unless `issuerKind` says
 * otherwise) into `secretName`. A `status` is kept as seeded (kube-sim then
 * issues a certificate with those dates); `failIssuance` makes every
 * issuance attempt fail in kube-sim.
 */
export function certificate(o: {
  name: string;
  namespace: string;
  secretName: string;
  issuer: string;
  issuerKind?: 'ClusterIssuer' | 'Issuer';
  dnsNames?: string[];
  commonName?: string;
  duration?: string;
  renewBefore?: string;
  privateKey?: CertificateObject['spec']['privateKey'];
  labels?: Labels;
  failIssuance?: boolean;
  status?: CertificateStatus;
}): CertificateObject {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: meta(
      o.name,
      o.namespace,
      o.labels,
      o.failIssuance ? { [ISSUANCE_ANNOTATION]: 'fail' } : undefined,
    ),
    spec: {
      secretName: o.secretName,
      issuerRef: { name: o.issuer, kind: o.issuerKind ?? 'ClusterIssuer' },
      ...defined({
        dnsNames: o.dnsNames,
        commonName: o.commonName,
        duration: o.duration,
        renewBefore: o.renewBefore,
        privateKey: o.privateKey,
      }),
    },
    ...defined({ status: o.status }),
  };
}

/** A Ready condition, as cert-manager sets it on an issued Certificate. */
export function readyCondition(
  ready = true,
  reason = ready ? 'Ready' : 'Failed',
): CertificateCondition {
  return { type: 'Ready', status: ready ? 'True' : 'False', reason };
}
