/** Kubelet stand-in: drives pod status according to the pod's behaviour. */
import type { SimCore } from '../core.js';
import { recordEvent } from '../events.js';
import {
  buildStatus,
  fullImage,
  NODE_IP,
  type PodState,
} from './pod-status.js';
import {
  BEHAVIOR_ANNOTATION,
  type Obj,
  POD_BEHAVIORS,
  type PodBehavior,
} from '../types.js';

export const NODE_NAME = 'sim-node-1';
const CRASH_EVERY_MS = 1000;
const OOM_EVERY_MS = 3000;

const states = new WeakMap<SimCore, Map<string, PodState>>();
let ipCounter = 2;

export { NODE_IP };

export function behaviorOf(pod: Obj): PodBehavior {
  const b = pod.metadata.annotations?.[BEHAVIOR_ANNOTATION] as
    PodBehavior | undefined;
  return b && POD_BEHAVIORS.includes(b) ? b : 'ready';
}

/** One kubelet tick over all pods. */
export function podTick(core: SimCore): void {
  let map = states.get(core);
  if (!map) states.set(core, (map = new Map()));
  const rt = core.core('pods');
  const seen = new Set<string>();
  for (const stored of core.store.scan(rt)) {
    const pod = stored;
    const uid = pod.metadata.uid as string;
    seen.add(uid);
    let s = map.get(uid);
    if (!s) {
      if (pod.status?.phase) continue; // seeded with a status: left alone
      s = {
        stage: 0,
        behavior: behaviorOf(pod),
        lastRestart: Date.now(),
        ip: `10.244.0.${ipCounter++ % 250}`,
      };
      map.set(uid, s);
    }
    const every =
      s.behavior === 'crashloop'
        ? CRASH_EVERY_MS
        : s.behavior === 'oomkilled'
          ? OOM_EVERY_MS
          : 0;
    if (s.stage >= 2 && !(every && Date.now() - s.lastRestart >= every))
      continue;
    step(core, structuredClone(pod), s);
  }
  for (const uid of map.keys()) if (!seen.has(uid)) map.delete(uid);
}

function step(core: SimCore, pod: Obj, s: PodState) {
  const rt = core.core('pods');
  const ns = pod.metadata.namespace as string;
  const name = pod.metadata.name as string;
  const containers = (pod.spec?.containers ?? []) as Obj[];
  const restarts = Number(
    ((pod.status?.containerStatuses ?? []) as Obj[])[0]?.restartCount ?? 0,
  );
  if (s.stage === 0) {
    if (!pod.spec.nodeName) {
      pod.spec.nodeName = NODE_NAME;
      pod = core.store.update(rt, pod, { trusted: true });
    }
    recordEvent(
      core,
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${name} to ${NODE_NAME}`,
      'default-scheduler',
    );
    s.stage = 1;
    pod.status = buildStatus(pod, s, 0);
    core.store.update(rt, pod, { subresource: 'status', trusted: true });
    return;
  }
  if (s.stage === 1) {
    s.stage = 2;
    for (const c of containers) {
      const fp = `spec.containers{${String(c.name)}}`;
      if (s.behavior === 'imagepullbackoff') {
        recordEvent(
          core,
          pod,
          'Normal',
          'Pulling',
          `Pulling image "${String(c.image)}"`,
          'kubelet',
          fp,
        );
        recordEvent(
          core,
          pod,
          'Warning',
          'Failed',
          `Failed to pull image "${String(c.image)}": rpc error: code = NotFound desc = failed to pull and unpack image "${fullImage(String(c.image))}": not found`,
          'kubelet',
          fp,
        );
        recordEvent(
          core,
          pod,
          'Warning',
          'Failed',
          'Error: ErrImagePull',
          'kubelet',
          fp,
        );
        recordEvent(
          core,
          pod,
          'Normal',
          'BackOff',
          `Back-off pulling image "${String(c.image)}"`,
          'kubelet',
          fp,
        );
        recordEvent(
          core,
          pod,
          'Warning',
          'Failed',
          'Error: ImagePullBackOff',
          'kubelet',
          fp,
        );
        continue;
      }
      if (s.behavior === 'stuck') continue;
      recordEvent(
        core,
        pod,
        'Normal',
        'Pulled',
        `Container image "${String(c.image)}" already present on machine`,
        'kubelet',
        fp,
      );
      recordEvent(
        core,
        pod,
        'Normal',
        'Created',
        `Created container: ${String(c.name)}`,
        'kubelet',
        fp,
      );
      recordEvent(
        core,
        pod,
        'Normal',
        'Started',
        `Started container ${String(c.name)}`,
        'kubelet',
        fp,
      );
    }
    const initial =
      s.behavior === 'crashloop' || s.behavior === 'oomkilled' ? 1 : 0;
    if (initial)
      for (const c of containers) core.logs.restart(ns, name, String(c.name));
    s.lastRestart = Date.now();
    pod.status = buildStatus(pod, s, initial);
    core.store.update(rt, pod, { subresource: 'status', trusted: true });
    if (s.behavior === 'crashloop') recordBackOffs(core, pod, containers);
    return;
  }
  const every =
    s.behavior === 'crashloop'
      ? CRASH_EVERY_MS
      : s.behavior === 'oomkilled'
        ? OOM_EVERY_MS
        : 0;
  if (every && Date.now() - s.lastRestart >= every) {
    s.lastRestart = Date.now();
    const before = core.store.writes;
    for (const c of containers) core.logs.restart(ns, name, String(c.name));
    pod.status = buildStatus(pod, s, restarts + 1);
    core.store.update(rt, pod, { subresource: 'status', trusted: true });
    if (s.behavior === 'crashloop') recordBackOffs(core, pod, containers);
    core.noiseWrites += core.store.writes - before;
  }
}

/** The kubelet's BackOff event for every container of a crash-looping pod. */
function recordBackOffs(core: SimCore, pod: Obj, containers: Obj[]): void {
  const { name, namespace, uid } = pod.metadata as Record<string, string>;
  for (const c of containers)
    recordEvent(
      core,
      pod,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${String(c.name)} in pod ${name}_${namespace}(${uid})`,
      'kubelet',
      `spec.containers{${String(c.name)}}`,
    );
}

/** Is the pod Ready (counts as available: minReadySeconds is ignored)? */
export function podReady(pod: Obj): boolean {
  return ((pod.status?.conditions ?? []) as Obj[]).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
}
