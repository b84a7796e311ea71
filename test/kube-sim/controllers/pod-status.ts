/** Pod status objects as the kubelet would report them, per behaviour. */
import { createHash, randomBytes } from 'node:crypto';
import { now } from '../store.js';
import type { Obj, PodBehavior } from '../types.js';

export const NODE_IP = '10.0.0.10';

export interface PodState {
  stage: number;
  behavior: PodBehavior;
  lastRestart: number;
  ip: string;
}

export function fullImage(image: string): string {
  // The first component names a registry when it has a dot or a port, or is
  // localhost (the distribution reference's rule).
  if (/^(?:[^/]*[.:][^/]*|localhost)\//.test(image)) return image;
  return image.includes('/')
    ? `docker.io/${image}`
    : `docker.io/library/${image}`;
}

/**
 * The kubelet's imageID: repository and the digest the registry served. An
 * image pinned by digest gets exactly that digest; a tag gets a stable
 * stand-in digest of its own.
 */
export function imageID(image: string): string {
  const full = fullImage(image);
  const pinned = /@(sha256:[a-f0-9]{64})$/.exec(full)?.[1];
  const repo = full.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  return `${repo}@${pinned ?? `sha256:${createHash('sha256').update(image).digest('hex')}`}`;
}

function qosClass(pod: Obj): string {
  const cs = (pod.spec?.containers ?? []) as Obj[];
  const none = cs.every((c) => !c.resources?.requests && !c.resources?.limits);
  if (none) return 'BestEffort';
  const guaranteed = cs.every(
    (c) =>
      c.resources?.limits?.cpu &&
      c.resources?.limits?.memory &&
      (!c.resources?.requests ||
        (c.resources.requests.cpu ?? c.resources.limits.cpu) ===
          c.resources.limits.cpu),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function cond(
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): Obj {
  const c: Obj = {
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now(),
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function keepTransitions(prev: Obj[] | undefined, next: Obj[]): Obj[] {
  return next.map((c) => {
    const p = prev?.find((x) => x.type === c.type);
    return p && p.status === c.status
      ? { ...c, lastTransitionTime: p.lastTransitionTime }
      : c;
  });
}

/** Build the status for a pod in a given stage. */
export function buildStatus(pod: Obj, s: PodState, restarts: number): Obj {
  const containers = (pod.spec?.containers ?? []) as Obj[];
  const prev = pod.status as Obj | undefined;
  const scheduled = s.stage >= 1;
  const started = s.stage >= 2;
  const b = s.behavior;
  const running =
    started && ['ready', 'notready', 'oomkilled', 'crashloop'].includes(b);
  const ready = started && (b === 'ready' || b === 'oomkilled');
  const names = containers.map((c) => c.name as string);
  const startedAt = prev?.startTime ?? now();
  const statuses = containers.map((c) => {
    const old = ((prev?.containerStatuses ?? []) as Obj[]).find(
      (x) => x.name === c.name,
    );
    const cs: Obj = {
      name: c.name,
      image: fullImage(String(c.image)),
      imageID:
        started && b !== 'imagepullbackoff' && b !== 'stuck'
          ? imageID(String(c.image))
          : '',
      ready,
      restartCount: restarts,
      started: running && b !== 'crashloop',
      lastState: {},
      state: {},
    };
    if (started && b !== 'imagepullbackoff' && b !== 'stuck')
      cs.containerID =
        old?.containerID ?? `containerd://${randomBytes(32).toString('hex')}`;
    if (!started || b === 'stuck')
      cs.state = { waiting: { reason: 'ContainerCreating' } };
    else if (b === 'imagepullbackoff')
      cs.state = {
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${String(c.image)}"`,
        },
      };
    else if (b === 'crashloop') {
      cs.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off 10s restarting failed container=${String(c.name)} pod=${String(pod.metadata.name)}_${String(pod.metadata.namespace)}(${String(pod.metadata.uid)})`,
        },
      };
      cs.lastState = {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          startedAt,
          finishedAt: now(),
          containerID: cs.containerID,
        },
      };
    } else {
      const runningState =
        old?.state?.running && old.restartCount === restarts
          ? old.state
          : { running: { startedAt: now() } };
      cs.state = runningState;
      if (b === 'oomkilled')
        cs.lastState = {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt,
            finishedAt: runningState.running.startedAt,
            containerID: cs.containerID,
          },
        };
    }
    return cs;
  });
  const unready = `containers with unready status: [${names.join(' ')}]`;
  const conditions = [
    cond('PodReadyToStartContainers', started && b !== 'stuck'),
    cond('Initialized', scheduled),
    ready
      ? cond('Ready', true)
      : cond('Ready', false, 'ContainersNotReady', unready),
    ready
      ? cond('ContainersReady', true)
      : cond('ContainersReady', false, 'ContainersNotReady', unready),
    cond('PodScheduled', scheduled),
  ];
  const st: Obj = {
    phase: running ? 'Running' : 'Pending',
    conditions: keepTransitions(
      prev?.conditions as Obj[] | undefined,
      conditions,
    ),
    hostIP: NODE_IP,
    hostIPs: [{ ip: NODE_IP }],
    startTime: startedAt,
    containerStatuses: statuses,
    qosClass: qosClass(pod),
  };
  if (started && b !== 'stuck') {
    st.podIP = s.ip;
    st.podIPs = [{ ip: s.ip }];
  }
  return st;
}
