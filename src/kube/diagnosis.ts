import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';
import { digestOfImageId } from './image.js';

/** One container's log: the current one and the previous (terminated) one. */
export interface ContainerLogs {
  pod: string;
  container: string;
  current: string | undefined;
  /** undefined: the container has not restarted (no previous log). */
  previous: string | undefined;
}

/** What one container runs, where. */
export interface RunningImage {
  pod: string;
  container: string;
  image: string;
  /** The digest the kubelet reports (imageID), when it has one. */
  digest: string | undefined;
  node: string;
  restarts: number;
  state: string;
}

/** What `kubectl get pods`, `describe` (events) and `logs` show, read once. */
export interface Diagnosis {
  pods: V1Pod[];
  /** Events about the pods and their Deployment, oldest first. */
  events: CoreV1Event[];
  logs: ContainerLogs[];
  images: RunningImage[];
}

/** The pods a selector picks, paginated. */
export function listPods(
  kube: Kube,
  namespace: string,
  selector: string,
): Promise<V1Pod[]> {
  return kube.listAll<V1Pod>(`list pods ${selector} in ${namespace}`, (c, l) =>
    kube.core.listNamespacedPod({
      namespace,
      labelSelector: selector,
      limit: l,
      _continue: c,
    }),
  );
}

/** When an event last happened: kubectl's --sort-by=.lastTimestamp, eventTime for new-style events. */
export function eventTime(e: CoreV1Event): number {
  const t =
    e.lastTimestamp ??
    e.eventTime ??
    e.firstTimestamp ??
    e.metadata?.creationTimestamp;
  const ms = t ? new Date(t).getTime() : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** Events of the namespace about `names` (pods, the Deployment), oldest first. */
export async function eventsAbout(
  kube: Kube,
  namespace: string,
  names: ReadonlySet<string>,
): Promise<CoreV1Event[]> {
  const all = await kube.listAll<CoreV1Event>(
    `list events in ${namespace}`,
    (c, l) =>
      kube.core.listNamespacedEvent({ namespace, limit: l, _continue: c }),
  );
  return all
    .filter((e) => names.has(e.involvedObject?.name ?? ''))
    .sort((a, b) => eventTime(a) - eventTime(b));
}

/**
 * The last `lines` lines of a container's log; `previous` reads the
 * terminated instance, undefined when there is none (the API's 400).
 */
export async function containerLog(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  lines: number,
  previous: boolean,
): Promise<string | undefined> {
  try {
    const text = await kube.call(
      `read the ${previous ? 'previous ' : ''}log of ${namespace}/${pod} container ${container}`,
      () =>
        kube.core.readNamespacedPodLog({
          name: pod,
          namespace,
          container,
          tailLines: lines,
          ...(previous ? { previous: true } : {}),
        }),
    );
    return String(text);
  } catch (e) {
    if (e instanceof KubeError && (e.code === 400 || e.code === 404))
      return undefined;
    throw e;
  }
}

/** Each container's image, digest, node, restarts and state. */
export function runningImages(pods: V1Pod[]): RunningImage[] {
  return pods.flatMap((p) =>
    (p.spec?.containers ?? []).map((c) => {
      const st = p.status?.containerStatuses?.find((s) => s.name === c.name);
      const state = st?.state?.running
        ? 'running'
        : st?.state?.waiting
          ? `waiting (${st.state.waiting.reason ?? ''})`
          : st?.state?.terminated
            ? `terminated (${st.state.terminated.reason ?? ''})`
            : 'unknown';
      return {
        pod: p.metadata?.name ?? '',
        container: c.name,
        image: c.image ?? '',
        digest: digestOfImageId(st?.imageID),
        node: p.spec?.nodeName ?? '',
        restarts: st?.restartCount ?? 0,
        state,
      };
    }),
  );
}

/**
 * The runbook's quick diagnosis, read-only: the pods, their (and the
 * Deployment's) events by time, and the last `lines` lines of every
 * container, current and previous.
 */
export async function diagnose(
  kube: Kube,
  o: { namespace: string; selector: string; deployment: string; lines: number },
): Promise<Diagnosis> {
  const pods = await listPods(kube, o.namespace, o.selector);
  const names = new Set([
    o.deployment,
    ...pods.map((p) => p.metadata?.name ?? ''),
  ]);
  const events = await eventsAbout(kube, o.namespace, names);
  const logs: ContainerLogs[] = [];
  for (const p of pods) {
    const pod = p.metadata?.name ?? '';
    for (const c of p.spec?.containers ?? []) {
      const read = (prev: boolean) =>
        containerLog(kube, o.namespace, pod, c.name, o.lines, prev);
      logs.push({
        pod,
        container: c.name,
        current: await read(false),
        previous: await read(true),
      });
    }
  }
  return { pods, events, logs, images: runningImages(pods) };
}

/** One event as a line: time, type, reason, object, count, message. */
export function eventLine(e: CoreV1Event): string {
  const at = eventTime(e);
  const obj = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
  return [
    at ? new Date(at).toISOString() : '-',
    e.type ?? '',
    e.reason ?? '',
    obj,
    `x${e.count ?? 1}`,
    (e.message ?? '').replace(/\s+/g, ' '),
  ].join('\t');
}
