import type { V1Deployment } from '@kubernetes/client-node';
import { healthOf, runChecks, type Health } from '../../health/round.js';
import { healthRoundOptions } from '../../inputs/groups-health.js';
import type { Kube } from '../../kube/client.js';
import { holdLease } from '../../kube/connect.js';
import { waitForRollout } from '../../kube/rollout.js';
import type { StateRef } from '../../plan/plan.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { Timeline } from '../../report/timeline.js';
import type { IncidentOptions } from './inputs.js';

/** What every incident mutation works with. */
export interface IncidentRun {
  kube: Kube;
  o: IncidentOptions;
  ctx: ProcedureContext;
  rb: ResultBuilder;
  tl: Timeline;
}

/** The application Deployment as a plan's basis, with its replica count. */
export async function readApp(
  r: Pick<IncidentRun, 'kube' | 'o'>,
): Promise<{ d: V1Deployment; ref: StateRef; replicas: number }> {
  const { namespace, deployment: name } = r.o;
  const d = await r.kube.call(`read deployment ${namespace}/${name}`, () =>
    r.kube.apps.readNamespacedDeployment({ name, namespace }),
  );
  const replicas = d.spec?.replicas ?? 1;
  return {
    d,
    replicas,
    ref: {
      object: `Deployment ${namespace}/${name}`,
      uid: d.metadata?.uid,
      versionKind: 'generation',
      version: String(d.metadata?.generation ?? 0),
      state: `${replicas} replicas`,
    },
  };
}

/** Takes the incident Lease; returns its release. */
export async function lockApp(r: IncidentRun): Promise<() => Promise<void>> {
  const { namespace } = r.o;
  const lease = await holdLease(r.kube, r.ctx, {
    namespace,
    name: r.o.lockName,
  });
  r.rb.check({
    name: 'lock',
    status: 'ok',
    observed: `holding Lease ${namespace}/${r.o.lockName}`,
  });
  return lease.release;
}

/** Waits for the Deployment's rollout; records it as check `name` and on the timeline. */
export async function awaitRollout(
  r: IncidentRun,
  name: string,
): Promise<boolean> {
  const st = await waitForRollout(r.kube, r.o.namespace, r.o.deployment, {
    timeoutMs: r.o.timeout,
    intervalMs: 500,
    now: r.ctx.now,
    sleep: r.ctx.sleep,
    onProgress: r.ctx.log.info,
  });
  r.rb.check({
    name,
    status: st.done ? 'ok' : 'failed',
    observed: st.message,
    threshold: `within ${Math.round(r.o.timeout / 1000)} s`,
  });
  r.tl.add(`${name}: ${st.message}`);
  return st.done;
}

/** One round of the health procedure's checks, recorded as `health: <check>`. */
export async function checkHealth(
  r: IncidentRun,
  title: string,
): Promise<Health> {
  const round = await r.ctx.log.group(title, () =>
    runChecks(r.kube, healthRoundOptions(r.o), r.ctx),
  );
  for (const c of round.checks) r.rb.check({ ...c, name: `health: ${c.name}` });
  r.rb.details.push(...round.details);
  const status = healthOf(round.checks);
  const bad = round.checks
    .filter((c) => c.status === 'failed' || c.status === 'warning')
    .map((c) => `${c.name}: ${c.observed}`);
  r.tl.add(
    `health checked: ${status}${bad.length ? ` (${bad.join('; ')})` : ''}`,
  );
  return status;
}
