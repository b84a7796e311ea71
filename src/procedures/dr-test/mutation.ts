import { recordReplicas } from '../../dr/replicas.js';
import type { Kube } from '../../kube/client.js';
import { holdLease } from '../../kube/connect.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan } from '../../plan/plan.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import { runDrill } from './drill.js';
import {
  archiveRef,
  drRefs,
  failoverRefsOf,
  makeDrPlan,
  noteArchive,
  plannedArchive,
} from './plan.js';
import { applyFailover, failoverDigest } from './failover.js';
import type { DrTestOptions } from './inputs.js';
import type { DrSetup, DrState } from './setup.js';

export type { DrSetup, DrState } from './setup.js';

/** The Mutation of a DR test: plan every step, apply exactly that. */
export function drMutation(
  s: DrSetup,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: DrState,
): Mutation {
  const o = s.o;
  const refs = drRefs(o);
  const replicaRefs = async () =>
    (await recordReplicas(s.kube, refs)).map((r) => r.ref);
  return {
    procedure: 'dr-test',
    target: {
      server: s.kube.server,
      namespaces: [o.namespace],
      database: s.database,
      deployment: o.deployment,
      databaseDeployment: o.databaseDeployment,
      destination: o.destination,
      prefix: o.prefix,
      drServer: s.failover?.kube.server,
      failoverManifests: s.failover
        ? failoverDigest(s.failover.objects)
        : undefined,
    },
    makePlan: () => makeDrPlan(s, ctx, rb, state),
    async liveState(plan) {
      const a = await plannedArchive(s, plan, ctx.now());
      state.archive = a;
      noteArchive(a, rb);
      return [
        ...(await replicaRefs()),
        archiveRef(`database ${s.database}`, a),
        ...(await failoverRefsOf(s)),
      ];
    },
    lock: () => holdLeases(s.kube, o, ctx, rb),
    execute: (plan) => executeDr(s, plan, ctx, rb, state),
    async verify(plan) {
      const recorded = plan.changes.filter(
        (c) => Number(c.params?.['to']) === 0,
      );
      const live = await recordReplicas(s.kube, refs);
      const wrong = recorded.filter(
        (c) =>
          live.find((l) => l.object === c.object)?.replicas !==
          Number(c.params?.['from']),
      );
      rb.check({
        name: 'replicas',
        status: wrong.length === 0 ? 'ok' : 'failed',
        observed: live.map((l) => `${l.object} ${l.replicas}`).join(', '),
        threshold: 'the counts recorded before the test',
      });
    },
  };
}

/** Takes every Lease of lock-names, in order; the release frees them all. */
async function holdLeases(
  kube: Kube,
  o: DrTestOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<() => Promise<void>> {
  const held: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const r of held.reverse()) await r();
  };
  try {
    for (const name of o.lockNames) {
      const l = await holdLease(kube, ctx, { namespace: o.namespace, name });
      held.push(l.release);
    }
  } catch (e) {
    await release();
    throw e;
  }
  rb.check({
    name: 'lock',
    status: 'ok',
    observed: `holding Lease(s) ${o.lockNames.map((n) => `${o.namespace}/${n}`).join(', ')}`,
  });
  return release;
}

async function executeDr(
  s: DrSetup,
  plan: Plan,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: DrState,
): Promise<void> {
  const a = state.archive;
  if (!a) throw new Error('no verified archive for the plan');
  const from = (i: number) => Number(plan.changes[i]?.params?.['from']);
  const live = await recordReplicas(s.kube, drRefs(s.o));
  const [db, app] = live;
  if (!db || !app) throw new Error('the Deployments were not read');
  // The plan's counts: the drift check made sure they are the live ones.
  await runDrill(
    {
      kube: s.kube,
      o: s.o,
      db: { ...db, replicas: from(0) },
      app: { ...app, replicas: from(1) },
      archive: a,
      identities: s.identities,
      dbMode: s.dbMode,
      remote: s.remote,
    },
    ctx,
    rb,
    state.clock,
  );
  const f = s.failover;
  if (!f) return;
  state.clock.stage = 'failover';
  state.failoverDone = await ctx.log
    .group('failover', () =>
      applyFailover(f.kube, f.objects, {
        timeoutMs: s.o.timeout,
        now: ctx.now,
        sleep: ctx.sleep,
        onProgress: ctx.log.info,
        onApplied: (x, existed) =>
          rb.change(
            'applied (server-side apply)',
            x.object,
            existed
              ? `re-apply its previous manifest in ${f.context}`
              : `kubectl --context ${f.context} delete ${x.kind.toLowerCase()} ${x.name} -n ${x.namespace}`,
          ),
      }),
    )
    .catch((e: unknown) => {
      throw new Error(
        `failover: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    });
}
