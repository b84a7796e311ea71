/**
 * The workloads of a namespace as pod specs to check: Deployments,
 * StatefulSets, DaemonSets, CronJobs, Jobs no CronJob owns, and Pods no
 * controller owns (a ReplicaSet's pods are its Deployment's).
 */
import type {
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  V1ServiceAccount,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { Kube } from '../../kube/client.js';

/** One workload: its kind and name, its pod spec. */
export interface Workload {
  kind: string;
  name: string;
  spec: V1PodSpec;
}

function owned(m: V1ObjectMeta | undefined): boolean {
  return (m?.ownerReferences ?? []).some((o) => o.controller);
}

/** Lists every workload kind in `namespace`, page by page. */
export async function listWorkloads(
  kube: Kube,
  namespace: string,
): Promise<Workload[]> {
  const batch = kube.api(kube.lib.BatchV1Api);
  const page = { namespace };
  const list = <T>(
    what: string,
    fn: (cont: string | undefined, limit: number) => Promise<{ items: T[] }>,
  ) => kube.listAll<T>(`list ${what} in ${namespace}`, fn);
  const deps = await list<V1Deployment>('deployments', (c, limit) =>
    kube.apps.listNamespacedDeployment({ ...page, limit, _continue: c }),
  );
  const sts = await list<V1StatefulSet>('statefulsets', (c, limit) =>
    kube.apps.listNamespacedStatefulSet({ ...page, limit, _continue: c }),
  );
  const ds = await list<V1DaemonSet>('daemonsets', (c, limit) =>
    kube.apps.listNamespacedDaemonSet({ ...page, limit, _continue: c }),
  );
  const cron = await list<V1CronJob>('cronjobs', (c, limit) =>
    batch.listNamespacedCronJob({ ...page, limit, _continue: c }),
  );
  const jobs = await list<V1Job>('jobs', (c, limit) =>
    batch.listNamespacedJob({ ...page, limit, _continue: c }),
  );
  const pods = await list<V1Pod>('pods', (c, limit) =>
    kube.core.listNamespacedPod({ ...page, limit, _continue: c }),
  );
  const out: Workload[] = [];
  const add = (kind: string, m: V1ObjectMeta | undefined, s?: V1PodSpec) => {
    if (s) out.push({ kind, name: m?.name ?? '', spec: s });
  };
  for (const d of deps) add('Deployment', d.metadata, d.spec?.template.spec);
  for (const s of sts) add('StatefulSet', s.metadata, s.spec?.template.spec);
  for (const d of ds) add('DaemonSet', d.metadata, d.spec?.template.spec);
  for (const c of cron)
    add('CronJob', c.metadata, c.spec?.jobTemplate.spec?.template.spec);
  for (const j of jobs.filter((x) => !owned(x.metadata)))
    add('Job', j.metadata, j.spec?.template.spec);
  for (const p of pods.filter((x) => !owned(x.metadata)))
    add('Pod', p.metadata, p.spec);
  return out;
}

/** automountServiceAccountToken of each ServiceAccount of the namespace, by name. */
export async function serviceAccountAutomount(
  kube: Kube,
  namespace: string,
): Promise<Map<string, boolean | undefined>> {
  const sas = await kube.listAll<V1ServiceAccount>(
    `list serviceaccounts in ${namespace}`,
    (c, limit) =>
      kube.core.listNamespacedServiceAccount({
        namespace,
        limit,
        _continue: c,
      }),
  );
  return new Map(
    sas.map((s) => [s.metadata?.name ?? '', s.automountServiceAccountToken]),
  );
}
