import { basename } from 'node:path';
import { verifyArchive } from '../../archive/verify.js';
import {
  newestVerifiedArchive,
  type VerifiedCandidate,
} from '../../dr/archive.js';
import { dataTimeOf } from '../../dr/recovery.js';
import { recordReplicas, type ReplicaRecord } from '../../dr/replicas.js';
import { RefusedError } from '../../errors.js';
import type { Plan, PlannedChange, StateRef } from '../../plan/plan.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import { failoverState } from './failover.js';
import type { DrTestOptions } from './inputs.js';
import type { DrSetup, DrState } from './setup.js';

const identityOf = (a: VerifiedCandidate) =>
  a.manifest.members.map((m) => m.sha256).join(',');

export function archiveRef(object: string, a: VerifiedCandidate): StateRef {
  return {
    object,
    versionKind: 'sha256',
    version: identityOf(a),
    state: `to be replaced by ${basename(a.path)}`,
  };
}

/** The archive the plan names, verified again now (apply). */
export async function plannedArchive(
  s: DrSetup,
  plan: Plan,
  now: Date,
): Promise<VerifiedCandidate> {
  const c = plan.changes.find((x) => x.params?.['archive'] !== undefined);
  const param = (k: string): string => {
    const v = c?.params?.[k];
    return typeof v === 'string' ? v : '';
  };
  const path = param('archive');
  const v = await verifyArchive(
    path,
    s.identities,
    new Set(['database']),
    {},
    { now, remote: s.remote },
  );
  const bad = v.checks.find((x) => x.status === 'failed');
  if (!v.manifest || bad)
    throw new RefusedError(
      `the planned archive ${path} no longer verifies (${bad ? `${bad.name}: ${bad.observed}` : 'no manifest'}): make and approve a new plan`,
    );
  return {
    path,
    at: new Date(param('at') || now.toISOString()),
    manifest: v.manifest,
    configDocs: v.configDocs ?? [],
    checks: v.checks,
    passedOver: [],
  };
}

function planChanges(
  s: DrSetup,
  db: ReplicaRecord,
  app: ReplicaRecord,
  a: VerifiedCandidate,
): PlannedChange[] {
  const name = basename(a.path);
  const back = (n: number) =>
    `scale back to ${n} (done at the end whatever happens)`;
  const changes: PlannedChange[] = [
    {
      object: db.object,
      action: `scale ${db.replicas} -> 0 (the simulated failure; RTO starts)`,
      reason: "the runbook's simulated database failure",
      undo: back(db.replicas),
      params: { from: db.replicas, to: 0 },
    },
    {
      object: app.object,
      action: `scale ${app.replicas} -> 0 while the database is restored`,
      reason: 'no writes into a database being restored',
      undo: back(app.replicas),
      params: { from: app.replicas, to: 0 },
    },
    {
      object: db.object,
      action: `scale 0 -> ${db.replicas}`,
      reason: 'the database back for the restore',
      undo: 'none needed (the recorded count)',
      params: { from: 0, to: db.replicas },
    },
    {
      object: `database ${s.database}`,
      action: `replace with the dump of ${name} (pg_restore --clean --if-exists --single-transaction)`,
      reason: `the newest verified archive; data of ${dataTimeOf(a.manifest).toISOString()}`,
      undo: 'none: writes after the backup are lost (run the DR test against the DR target)',
      params: { archive: a.path, at: a.at.toISOString() },
    },
    {
      object: app.object,
      action: `scale 0 -> ${app.replicas}, then wait for health (HTTP and pods; RTO ends)`,
      reason: 'the service back',
      undo: 'none needed (the recorded count)',
      params: { from: 0, to: app.replicas },
    },
  ];
  const f = s.failover;
  for (const x of f?.objects ?? [])
    changes.push({
      object: x.object,
      action: `server-side apply${x.kind === 'Deployment' ? ', wait for the rollout' : ''}`,
      reason: 'cross-cluster failover (failover-manifests)',
      undo: `kubectl --context ${f?.context ?? ''} delete ${x.kind.toLowerCase()} ${x.name} -n ${x.namespace} (or re-apply its previous manifest when it existed)`,
    });
  return changes;
}

export const drRefs = (o: DrTestOptions) => [
  { namespace: o.namespace, name: o.databaseDeployment },
  { namespace: o.namespace, name: o.deployment },
];

export async function failoverRefsOf(s: DrSetup): Promise<StateRef[]> {
  if (!s.failover) return [];
  const live = await failoverState(s.failover.kube, s.failover.objects);
  return live.map(({ exists: _e, ...r }) => r);
}

/** Reads the replica counts, finds the newest verified archive, plans every step. */
export async function makeDrPlan(
  s: DrSetup,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: DrState,
): Promise<{ basis: StateRef[]; changes: PlannedChange[] }> {
  const o = s.o;
  const [db, app] = await recordReplicas(s.kube, drRefs(o));
  if (!db || !app) throw new Error('the Deployments were not read');
  for (const r of [db, app])
    if (r.replicas === 0)
      throw new RefusedError(
        `${r.object} has 0 replicas: a DR test needs the service running (scale it up first)`,
      );
  const a = await ctx.log.group('find the newest verified archive', () =>
    newestVerifiedArchive({
      destination: o.destination ?? '',
      prefix: o.prefix,
      identities: s.identities,
      required: new Set(['database']),
      now: ctx.now(),
      bucket: s.bucket,
      remote: s.remote,
      maxTries: o.verifyLimit,
      onTry: (p, ok, why) =>
        ctx.log.info(`${basename(p)}: ${ok ? 'verified' : why}`),
    }),
  );
  state.archive = a;
  noteArchive(a, rb);
  const basis = [
    db.ref,
    app.ref,
    archiveRef(`database ${s.database}`, a),
    ...(await failoverRefsOf(s)),
  ];
  return { basis, changes: planChanges(s, db, app, a) };
}

export function noteArchive(a: VerifiedCandidate, rb: ResultBuilder): void {
  rb.target['archive'] = a.path;
  rb.check({
    name: 'archive verified',
    status: 'ok',
    observed: `${basename(a.path)}: ${a.manifest.members.length} member(s) match the manifest written ${a.manifest.endedAt}`,
  });
  if (a.passedOver.length > 0)
    rb.check({
      name: 'newer archives',
      status: 'warning',
      observed: `${a.passedOver.length} newer archive(s) passed over`,
      detail: a.passedOver
        .map((p) => `${basename(p.path)}: ${p.why}`)
        .join('; '),
    });
}
