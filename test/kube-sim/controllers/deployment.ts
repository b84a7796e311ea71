/** Deployment and ReplicaSet controllers (rolling updates, status, events). */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { SimCore } from '../core.js';
import { recordEvent } from '../events.js';
import { findByPlural } from '../registry.js';
import { now } from '../store.js';
import type { Obj } from '../types.js';
import { owned, ownerRef } from './owners.js';
import { syncReplicaSet } from './replicaset.js';

const REV = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';
const DEPLOY = findByPlural('apps', 'v1', 'deployments')!;
const RS = findByPlural('apps', 'v1', 'replicasets')!;

const lastProgress = new WeakMap<SimCore, Map<string, number>>();

/** Template without the pod-template-hash label, for comparisons. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNulls(x)]),
    );
  return v;
}

function bareTemplate(t: Obj): Obj {
  const c = dropNulls(structuredClone(t)) as Obj;
  if (c.metadata?.labels) delete c.metadata.labels[HASH];
  return c;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** A pod-template-hash like rand.SafeEncodeString(fnv32(template)). */
export function templateHash(t: Obj): string {
  const n = createHash('sha256')
    .update(JSON.stringify(bareTemplate(t)))
    .digest()
    .readUInt32BE(0);
  return String(n)
    .split('')
    .map((d, i) => SAFE[(Number(d) * 7 + i) % SAFE.length])
    .join('')
    .slice(0, 10);
}

function intOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
  if (!m) return Number(v ?? 0);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

const rev = (rs: Obj) => Number(rs.metadata.annotations?.[REV] ?? 0);

function setReplicas(core: SimCore, d: Obj, rs: Obj, n: number) {
  const from = Number(rs.spec.replicas ?? 0);
  if (from === n) return;
  rs.spec.replicas = n;
  rs.metadata.annotations = {
    ...rs.metadata.annotations,
    'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas),
    'deployment.kubernetes.io/max-replicas': String(
      Number(d.spec.replicas) + maxSurge(d),
    ),
  };
  core.store.update(RS, rs, { trusted: true });
  const dir = n > from ? 'up' : 'down';
  recordEvent(
    core,
    d,
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${dir} replica set ${String(rs.metadata.name)} from ${from} to ${n}`,
    'deployment-controller',
  );
}

function maxSurge(d: Obj): number {
  if (d.spec.strategy?.type !== 'RollingUpdate') return 0;
  return intOrPercent(
    d.spec.strategy.rollingUpdate?.maxSurge ?? '25%',
    Number(d.spec.replicas),
    true,
  );
}

function maxUnavailable(d: Obj): number {
  if (d.spec.strategy?.type !== 'RollingUpdate') return 0;
  const u = intOrPercent(
    d.spec.strategy.rollingUpdate?.maxUnavailable ?? '25%',
    Number(d.spec.replicas),
    false,
  );
  return u === 0 && maxSurge(d) === 0 ? 1 : u;
}

function cond(
  type: string,
  status: string,
  reason: string,
  message: string,
  prev?: Obj,
  bumpUpdate = true,
): Obj {
  const t = now();
  return {
    type,
    status,
    lastUpdateTime: bumpUpdate || !prev ? t : prev.lastUpdateTime,
    lastTransitionTime:
      prev && prev.status === status ? prev.lastTransitionTime : t,
    reason,
    message,
  };
}

function syncDeployment(core: SimCore, d: Obj, allRs: Obj[]) {
  const ns = d.metadata.namespace as string;
  const uid = d.metadata.uid as string;
  const rsList = owned(allRs, uid);
  const replicas = Number(d.spec.replicas ?? 1);
  const tmpl = bareTemplate(d.spec.template as Obj);
  let newRs = rsList.find((rs) =>
    isDeepStrictEqual(bareTemplate(rs.spec.template as Obj), tmpl),
  );
  const maxRev = Math.max(0, ...rsList.map(rev));
  let progressed = false;
  if (!d.spec.paused) {
    if (!newRs) {
      const hash = templateHash(d.spec.template as Obj);
      const labels = {
        ...(d.spec.template.metadata?.labels ?? {}),
        [HASH]: hash,
      };
      const template = structuredClone(d.spec.template as Obj);
      template.metadata = { ...template.metadata, labels };
      newRs = core.store.create(
        RS,
        {
          metadata: {
            name: `${String(d.metadata.name)}-${hash}`,
            namespace: ns,
            labels,
            annotations: {
              [REV]: String(maxRev + 1),
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/max-replicas': String(
                replicas + maxSurge(d),
              ),
            },
            ownerReferences: [ownerRef(d)],
          },
          spec: {
            replicas: 0,
            minReadySeconds: d.spec.minReadySeconds ?? 0,
            selector: {
              ...d.spec.selector,
              matchLabels: {
                ...(d.spec.selector?.matchLabels ?? {}),
                [HASH]: hash,
              },
            },
            template,
          },
        },
        { trusted: true },
      );
      rsList.push(newRs);
      progressed = true;
    } else if (rev(newRs) < maxRev) {
      newRs.metadata.annotations = {
        ...newRs.metadata.annotations,
        [REV]: String(maxRev + 1),
      };
      newRs = core.store.update(RS, newRs, { trusted: true });
      progressed = true;
    }
  }
  if (newRs && d.metadata.annotations?.[REV] !== String(rev(newRs))) {
    d.metadata.annotations = {
      ...d.metadata.annotations,
      [REV]: String(rev(newRs)),
    };
    const updated = core.store.update(DEPLOY, d, { trusted: true });
    d.metadata = updated.metadata;
  }
  const old = rsList.filter((rs) => rs !== newRs);
  const spec = (rs: Obj) => Number(rs.spec.replicas ?? 0);
  const avail = (rs: Obj) => Number(rs.status?.availableReplicas ?? 0);
  if (newRs && !d.spec.paused) {
    if (d.spec.strategy?.type === 'Recreate') {
      for (const rs of old) setReplicas(core, d, rs, 0);
      if (old.every((rs) => Number(rs.status?.replicas ?? 0) === 0))
        setReplicas(core, d, newRs, replicas);
    } else if (!old.some((rs) => spec(rs) > 0))
      setReplicas(core, d, newRs, replicas);
    else {
      const total = rsList.reduce((a, rs) => a + spec(rs), 0);
      const room = replicas + maxSurge(d) - total;
      if (room > 0 && spec(newRs) < replicas)
        setReplicas(core, d, newRs, Math.min(replicas, spec(newRs) + room));
      const minAvailable = replicas - maxUnavailable(d);
      let canRemove = rsList.reduce((a, rs) => a + avail(rs), 0) - minAvailable;
      for (const rs of old.sort((a, b) => rev(a) - rev(b))) {
        const unhealthy = Math.max(0, spec(rs) - avail(rs));
        const dec = Math.min(spec(rs), unhealthy + Math.max(0, canRemove));
        if (dec <= 0) continue;
        canRemove -= Math.max(0, dec - unhealthy);
        setReplicas(core, d, rs, spec(rs) - dec);
      }
    }
  }
  // Keep at most revisionHistoryLimit old, empty ReplicaSets.
  const limit = Number(d.spec.revisionHistoryLimit ?? 10);
  const empty = old
    .filter((rs) => spec(rs) === 0 && Number(rs.status?.replicas ?? 0) === 0)
    .sort((a, b) => rev(a) - rev(b));
  for (const rs of empty.slice(0, Math.max(0, empty.length - limit)))
    core.store.delete(RS, ns, rs.metadata.name as string);
  // Status.
  const fresh = owned(core.store.list(RS, ns), uid);
  const cur = newRs
    ? fresh.find((rs) => rs.metadata.uid === newRs.metadata.uid)
    : undefined;
  const sum = (f: (rs: Obj) => number) => fresh.reduce((a, rs) => a + f(rs), 0);
  const status: Obj = {
    observedGeneration: d.metadata.generation,
    replicas: sum((rs) => Number(rs.status?.replicas ?? 0)),
    updatedReplicas: Number(cur?.status?.replicas ?? 0),
    readyReplicas: sum((rs) => Number(rs.status?.readyReplicas ?? 0)),
    availableReplicas: sum(avail),
  };
  status.unavailableReplicas = Math.max(
    0,
    replicas - Number(status.availableReplicas),
  );
  const prevConds = (d.status?.conditions ?? []) as Obj[];
  const prevAvail = prevConds.find((c) => c.type === 'Available');
  const prevProg = prevConds.find((c) => c.type === 'Progressing');
  const okAvail =
    Number(status.availableReplicas) >= replicas - maxUnavailable(d);
  const availCond = okAvail
    ? cond(
        'Available',
        'True',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
        prevAvail,
        prevAvail?.status !== 'True',
      )
    : cond(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
        prevAvail,
        prevAvail?.status !== 'False',
      );
  const rsName = String(cur?.metadata.name ?? newRs?.metadata.name ?? '');
  const old2 = d.status ?? {};
  if (
    ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].some(
      (k) => old2[k] !== status[k],
    )
  )
    progressed = true;
  let lp = lastProgress.get(core);
  if (!lp) lastProgress.set(core, (lp = new Map()));
  if (progressed || !lp.has(uid)) lp.set(uid, Date.now());
  const complete =
    Number(status.updatedReplicas) === replicas &&
    Number(status.availableReplicas) === replicas &&
    Number(status.replicas) === replicas;
  let progCond: Obj;
  const same = (reason: string) => prevProg?.reason === reason;
  if (d.spec.paused)
    progCond = cond(
      'Progressing',
      'Unknown',
      'DeploymentPaused',
      'Deployment is paused',
      prevProg,
      !same('DeploymentPaused'),
    );
  else if (complete)
    progCond = cond(
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
      prevProg,
      !same('NewReplicaSetAvailable') || progressed,
    );
  else if (
    !progressed &&
    Date.now() - lp.get(uid)! >
      Number(d.spec.progressDeadlineSeconds ?? 600) * 1000
  )
    progCond = cond(
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rsName}" has timed out progressing.`,
      prevProg,
      !same('ProgressDeadlineExceeded'),
    );
  else if (same('ProgressDeadlineExceeded') && !progressed)
    progCond = prevProg!;
  else
    progCond = cond(
      'Progressing',
      'True',
      'ReplicaSetUpdated',
      `ReplicaSet "${rsName}" is progressing.`,
      prevProg,
      progressed || !same('ReplicaSetUpdated'),
    );
  status.conditions = [availCond, progCond];
  if (!isDeepStrictEqual(status, d.status)) {
    d.status = status;
    core.store.update(DEPLOY, d, { subresource: 'status', trusted: true });
  }
}

export function deploymentTick(core: SimCore): void {
  const pods = core.store.scan(core.core('pods'));
  for (const rs of core.store.list(RS)) syncReplicaSet(core, rs, pods);
  const allRs = core.store.list(RS);
  for (const d of core.store.list(DEPLOY)) syncDeployment(core, d, allRs);
}
