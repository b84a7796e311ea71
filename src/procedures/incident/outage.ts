import { diagnose } from '../../kube/diagnosis.js';
import { restartDeployment } from '../../kube/rollout.js';
import { setReplicas } from '../../dr/replicas.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange } from '../../plan/plan.js';
import { keepDiagnosis } from './diagnosis-report.js';
import {
  awaitRollout,
  checkHealth,
  lockApp,
  readApp,
  type IncidentRun,
} from './shared.js';

/**
 * The runbook's quick diagnosis, read-only, before anything is planned:
 * pods, their events by time, the last log-lines of every container (current
 * and previous).
 */
export async function diagnoseOutage(r: IncidentRun): Promise<void> {
  const d = await r.ctx.log.group('Diagnosis', () =>
    diagnose(r.kube, {
      namespace: r.o.namespace,
      selector: r.o.selector,
      deployment: r.o.deployment,
      lines: r.o.logLines,
    }),
  );
  const path = await keepDiagnosis(r, d);
  const restarts = d.images.reduce((n, i) => n + i.restarts, 0);
  const warnings = d.events.filter((e) => e.type === 'Warning').length;
  r.rb.check({
    name: 'diagnosis',
    status: 'ok',
    observed: `${d.pods.length} pod(s), ${restarts} container restart(s), ${d.events.length} event(s) (${warnings} warning), ${d.logs.length} container log(s)`,
  });
  r.tl.add(`diagnosis collected (${path})`);
}

/**
 * outage under change control: restart the Deployment as kubectl rollout
 * restart does, wait for the rollout, scale out to scale-to (never down),
 * check health.
 */
export function outageMutation(r: IncidentRun): Mutation {
  const { namespace, deployment: name } = r.o;
  const object = `Deployment ${namespace}/${name}`;
  return {
    procedure: 'incident',
    target: {
      server: r.kube.server,
      namespaces: [namespace],
      incident: 'outage',
      deployment: name,
      scaleTo: r.o.scaleTo,
    },
    async makePlan() {
      const app = await readApp(r);
      const changes: PlannedChange[] = [
        {
          object,
          action: 'rollout restart (kubectl.kubernetes.io/restartedAt)',
          reason: 'emergency restart',
          undo: 'none needed: a restart replaces the pods with the same template',
          params: { step: 'restart' },
        },
      ];
      if (app.replicas < r.o.scaleTo)
        changes.push({
          object,
          action: `scale ${app.replicas} -> ${r.o.scaleTo} replicas`,
          reason: 'scale out for recovery',
          undo: `scale back to ${app.replicas} replicas`,
          params: { step: 'scale', from: app.replicas, to: r.o.scaleTo },
        });
      else
        r.tl.add(
          `planned no scale: ${app.replicas} replicas already, at least scale-to ${r.o.scaleTo} (never down)`,
        );
      return { basis: [app.ref], changes };
    },
    async liveState() {
      return [(await readApp(r)).ref];
    },
    execute: (plan) => executeOutage(r, plan),
    async verify() {
      await awaitRollout(r, 'rollout after scale-out');
      await checkHealth(r, 'Health after the recovery');
    },
    lock: () => lockApp(r),
  };
}

async function executeOutage(r: IncidentRun, plan: Plan): Promise<void> {
  const { namespace, deployment: name } = r.o;
  const object = `Deployment ${namespace}/${name}`;
  for (const c of plan.changes) {
    if (c.params?.['step'] === 'restart') {
      const at = await restartDeployment(r.kube, namespace, name, r.ctx.now());
      r.rb.change(`rollout restart (restartedAt ${at})`, object, c.undo);
      r.tl.add(`restarted ${object} (restartedAt ${at})`);
      // The scale-out follows even when the restart did not roll out in time.
      await awaitRollout(r, 'rollout after restart');
    } else {
      const to = Number(c.params?.['to']);
      await setReplicas(r.kube, { namespace, name }, to);
      r.rb.change(c.action, object, c.undo);
      r.tl.add(`scaled ${object} to ${to} replicas`);
    }
  }
}
