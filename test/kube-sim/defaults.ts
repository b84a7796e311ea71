/** Server-side defaulting, enough to look like real objects. */
import type { ResourceType } from './registry.js';
import type { Obj } from './types.js';

function podSpec(spec: Obj | undefined) {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [
    ...((spec.initContainers ?? []) as Obj[]),
    ...((spec.containers ?? []) as Obj[]),
  ]) {
    if (typeof c !== 'object' || !c) continue;
    const image = String(c.image ?? '');
    const tag = image.includes('@')
      ? 'digest'
      : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
    c.imagePullPolicy ??= tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of (c.ports ?? []) as Obj[]) p.protocol ??= 'TCP';
  }
}

/** Mutates `obj` in place. `cur` is the stored object on updates. */
export function applyDefaults(rt: ResourceType, obj: Obj, cur?: Obj): void {
  const spec = obj.spec as Obj | undefined;
  if (obj.metadata?.creationTimestamp === null)
    delete obj.metadata.creationTimestamp;
  if (spec?.template?.metadata?.creationTimestamp === null)
    delete spec.template.metadata.creationTimestamp;
  if (spec?.jobTemplate?.metadata?.creationTimestamp === null)
    delete spec.jobTemplate.metadata.creationTimestamp;
  switch (`${rt.group}/${rt.plural}`) {
    case '/namespaces':
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      obj.spec ??= { finalizers: ['kubernetes'] };
      obj.status ??= { phase: 'Active' };
      break;
    case '/pods':
      if (spec) {
        podSpec(spec);
        spec.serviceAccountName ??= 'default';
        spec.serviceAccount ??= spec.serviceAccountName;
        spec.priority ??= 0;
        spec.enableServiceLinks ??= true;
        spec.preemptionPolicy ??= 'PreemptLowerPriority';
      }
      break;
    case 'apps/deployments':
    case 'apps/replicasets':
      if (spec) {
        spec.replicas ??= 1;
        spec.revisionHistoryLimit ??= 10;
        if (rt.plural === 'deployments') {
          spec.progressDeadlineSeconds ??= 600;
          spec.strategy ??= { type: 'RollingUpdate' };
          if (spec.strategy.type === undefined)
            spec.strategy.type = 'RollingUpdate';
          if (spec.strategy.type === 'RollingUpdate')
            spec.strategy.rollingUpdate = {
              maxUnavailable: '25%',
              maxSurge: '25%',
              ...(spec.strategy.rollingUpdate ?? {}),
            };
        }
        podSpec(spec.template?.spec as Obj | undefined);
        if (spec.template) spec.template.metadata ??= {};
      }
      break;
    case '/services':
      if (spec) {
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        spec.clusterIP ??=
          cur?.spec?.clusterIP ??
          `10.96.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
        spec.clusterIPs ??= [spec.clusterIP];
        for (const p of (spec.ports ?? []) as Obj[]) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      break;
    case '/secrets':
      obj.type ??= 'Opaque';
      if (obj.stringData) {
        obj.data ??= {};
        for (const [k, v] of Object.entries(obj.stringData as Obj))
          obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
      break;
    case 'batch/jobs':
      if (spec) {
        spec.backoffLimit ??= 6;
        spec.completions ??= 1;
        spec.parallelism ??= 1;
        podSpec(spec.template?.spec as Obj | undefined);
      }
      break;
    case 'batch/cronjobs':
      if (spec) {
        spec.concurrencyPolicy ??= 'Allow';
        spec.suspend ??= false;
        spec.successfulJobsHistoryLimit ??= 3;
        spec.failedJobsHistoryLimit ??= 1;
      }
      break;
    case '/persistentvolumeclaims':
      obj.status ??= {
        phase: 'Bound',
        accessModes: spec?.accessModes ?? ['ReadWriteOnce'],
        capacity: spec?.resources?.requests ?? {},
      };
      if (spec) {
        spec.volumeMode ??= 'Filesystem';
        spec.storageClassName ??= 'standard';
        spec.volumeName ??=
          cur?.spec?.volumeName ??
          `pvc-${String(obj.metadata.uid ?? Math.random().toString(16).slice(2))}`;
      }
      break;
  }
}
