import { RefusedError } from '../../errors.js';
import type { Recipients } from '../../archive/age.js';
import { listPods } from '../../kube/diagnosis.js';
import { restartDeployment } from '../../kube/rollout.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange, StateRef } from '../../plan/plan.js';
import {
  debugContainer,
  envBefore,
  envPairs,
  missingKeys,
  previousValues,
  readSecret,
  rotateKeys,
  setEnv,
} from './credentials.js';
import type { IncidentState } from './dispatch.js';
import { collectEvidence } from './evidence.js';
import {
  createPolicy,
  isolationPolicy,
  readPolicy,
  writeUndoPlan,
} from './isolation.js';
import { awaitRollout, lockApp, readApp, type IncidentRun } from './shared.js';

/** The keys to rotate: `keys`, plus those only secret-values names. */
export function keysToRotate(r: IncidentRun): string[] {
  return [
    ...new Set([...r.o.keys, ...Object.keys(r.o.secretValues ?? {})]),
  ].sort();
}

/**
 * security-incident under change control: isolate the application pods
 * (deny-all NetworkPolicy, its undo written as its own plan), collect the
 * evidence, rotate the named credentials, set debug logging and restart so
 * the pods pick both up.
 */
export function securityMutation(
  r: IncidentRun,
  recipients: Recipients | undefined,
  state: IncidentState,
): Mutation {
  const { o } = r;
  const read = () =>
    Promise.all([
      readPolicy(r.kube, o.namespace, o.isolationPolicy),
      readSecret(r.kube, o.namespace, o.secretName),
      readApp(r),
    ]);
  return {
    procedure: 'incident',
    target: {
      server: r.kube.server,
      namespaces: [o.namespace],
      incident: 'security-incident',
      deployment: o.deployment,
      networkPolicy: o.isolationPolicy,
      secret: o.secretName,
      keys: keysToRotate(r),
      debugEnv: o.debugEnv,
      container: o.container ?? null,
      evidenceRecipients: recipients?.list ?? [],
      keepPreviousValues: o.keepPreviousValues,
    },
    makePlan: () => planSecurity(r, read),
    async liveState() {
      const [p, s, a] = await read();
      return [p.ref, s.ref, a.ref];
    },
    execute: (plan) => executeSecurity(r, plan, recipients, state),
    async verify() {
      await awaitRollout(r, 'rollout after restart');
      await checkRestarted(r, state);
      const p = await readPolicy(r.kube, o.namespace, o.isolationPolicy);
      r.rb.check({
        name: 'isolation',
        status: p.policy ? 'ok' : 'failed',
        observed: p.policy
          ? `NetworkPolicy ${o.namespace}/${o.isolationPolicy} denies all ingress and egress of ${o.selector}`
          : 'the isolation policy is gone',
      });
    },
    lock: () => lockApp(r),
  };
}

async function planSecurity(
  r: IncidentRun,
  read: () => Promise<
    [
      Awaited<ReturnType<typeof readPolicy>>,
      Awaited<ReturnType<typeof readSecret>>,
      Awaited<ReturnType<typeof readApp>>,
    ]
  >,
): Promise<{ basis: StateRef[]; changes: PlannedChange[] }> {
  const { o } = r;
  const [pol, sec, app] = await read();
  const changes: PlannedChange[] = [];
  const np = `NetworkPolicy ${o.namespace}/${o.isolationPolicy}`;
  if (pol.policy) {
    if (
      pol.policy.metadata?.labels?.['pqc-ops/incident'] !== 'security-incident'
    )
      throw new RefusedError(
        `${np} exists and is not an isolation this procedure made: choose another 'isolation-policy'`,
      );
    r.tl.add(`planned no isolation: ${np} is already in place`);
  } else
    changes.push({
      object: np,
      action: `create: deny all ingress and egress of the pods of Deployment ${o.deployment}`,
      reason:
        'isolate the application (the runbook patch of hostNetwork/dnsPolicy isolates nothing)',
      undo: 'apply the undo plan this run writes (output undo-plan-file): it deletes exactly this NetworkPolicy',
      params: { step: 'isolate' },
    });
  const keys = keysToRotate(r);
  const missing = missingKeys(sec.secret, keys);
  if (missing.length)
    throw new RefusedError(
      `Secret ${o.namespace}/${o.secretName} has no key ${missing.join(', ')}: rotation replaces values, it does not add keys`,
    );
  const given = keys.filter((k) => o.secretValues?.[k] !== undefined);
  changes.push({
    object: sec.ref.object,
    action: `rotate ${keys.join(', ')} (${given.length ? `given values for ${given.join(', ')}, ` : ''}new random values for the rest; never shown)`,
    reason: 'credentials may be compromised',
    undo: o.keepPreviousValues
      ? 'the previous values are in the encrypted evidence archive only'
      : 'none: the previous values are not kept (keep-previous-values)',
    params: { step: 'rotate', keys },
  });
  const container = debugContainer(app.d, o.container);
  const env = envPairs(o.debugEnv);
  changes.push({
    object: app.ref.object,
    action: `set env ${o.debugEnv.join(', ')} on container ${container} and rollout restart`,
    reason: 'pick up the new credentials; enhanced monitoring',
    undo: `set env back (${envBefore(app.d, container, env)}) and rollout restart`,
    params: { step: 'restart', container },
  });
  return { basis: [pol.ref, sec.ref, app.ref], changes };
}

async function executeSecurity(
  r: IncidentRun,
  plan: Plan,
  recipients: Recipients | undefined,
  state: IncidentState,
): Promise<void> {
  const { o } = r;
  const step = (s: string) =>
    plan.changes.find((c) => c.params?.['step'] === s);
  const isolate = step('isolate');
  if (isolate) {
    const app = await readApp(r);
    const created = await createPolicy(
      r.kube,
      isolationPolicy(
        o.isolationPolicy,
        o.namespace,
        app.d.spec?.selector ?? {},
      ),
    );
    state.undoPlan = await writeUndoPlan(r, created);
    r.rb.change(isolate.action, isolate.object, `apply ${state.undoPlan.file}`);
    r.tl.add(
      `isolated: ${isolate.object} created; undo plan ${state.undoPlan.file}`,
    );
  }
  const rotate = step('rotate');
  const keys = (rotate?.params?.['keys'] as string[] | undefined) ?? [];
  const { secret } = await readSecret(r.kube, o.namespace, o.secretName);
  const previous = o.keepPreviousValues
    ? previousValues(secret, keys, r.ctx.maskSecret)
    : undefined;
  const ev = await collectEvidence(r, recipients, previous);
  state.evidence = { path: ev.path, sha256: ev.sha256 };
  r.rb.artifacts.push({ path: ev.path, sha256: ev.sha256, size: ev.size });
  r.rb.check({
    name: 'evidence',
    status: ev.encrypted ? 'ok' : 'warning',
    observed: `${ev.members} members, sha256 ${ev.sha256.slice(0, 12)}${ev.encrypted ? ', encrypted' : ''}`,
    ...(ev.encrypted ? {} : { detail: 'not encrypted: give age-recipients' }),
  });
  r.tl.add(`evidence collected: ${ev.path} (sha256 ${ev.sha256})`);
  if (rotate) {
    await rotateKeys(
      r.kube,
      secret,
      keys,
      o.secretValues ?? {},
      r.ctx.maskSecret,
    );
    r.rb.change(rotate.action, rotate.object, rotate.undo);
    r.tl.add(`credentials rotated: ${keys.join(', ')} of ${rotate.object}`);
  }
  const restart = step('restart');
  if (restart) await restartWithDebug(r, restart, state);
  state.headline = `isolated, evidence in ${ev.path}, ${keys.length} credential(s) rotated, pods restarted with ${o.debugEnv.join(', ')}`;
}

async function restartWithDebug(
  r: IncidentRun,
  c: PlannedChange,
  state: IncidentState,
): Promise<void> {
  const { namespace, deployment } = r.o;
  state.podsBefore = (await listPods(r.kube, namespace, r.o.selector)).map(
    (p) => p.metadata?.name ?? '',
  );
  const container = String(c.params?.['container']);
  await setEnv(
    r.kube,
    namespace,
    deployment,
    container,
    envPairs(r.o.debugEnv),
  );
  const at = await restartDeployment(
    r.kube,
    namespace,
    deployment,
    r.ctx.now(),
  );
  r.rb.change(c.action, c.object, c.undo);
  r.tl.add(
    `debug logging set (${r.o.debugEnv.join(', ')}) and ${c.object} restarted (restartedAt ${at})`,
  );
}

/** The pods that ran before the restart are all gone. */
async function checkRestarted(
  r: IncidentRun,
  state: IncidentState,
): Promise<void> {
  const before = new Set(state.podsBefore ?? []);
  const now = (await listPods(r.kube, r.o.namespace, r.o.selector)).filter(
    (p) => !p.metadata?.deletionTimestamp,
  );
  const left = now.filter((p) => before.has(p.metadata?.name ?? ''));
  r.rb.check({
    name: 'pods restarted',
    status: left.length === 0 ? 'ok' : 'failed',
    observed:
      left.length === 0
        ? `${now.length} new pod(s), none of the ${before.size} from before the rotation`
        : `${left.length} pod(s) from before the rotation still run: ${left.map((p) => p.metadata?.name ?? '').join(', ')}`,
  });
}
