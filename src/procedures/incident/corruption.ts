import { existsSync } from 'node:fs';
import { parseIdentities, parseRecipients } from '../../archive/age.js';
import { readerLocations } from '../../inputs/groups-archive.js';
import { setReplicas } from '../../dr/replicas.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, StateRef } from '../../plan/plan.js';
import { databaseEndpoint, databaseMode } from '../../postgres/source.js';
import { parsePgUrl } from '../../postgres/url.js';
import { isBucketUrl } from '../../storage/location.js';
import { archiveAccess } from '../../storage/s3-archives.js';
import {
  emergencyBackup,
  lastGoodArchive,
  restoreArchive,
  type ArchiveAccess,
} from './corruption-steps.js';
import type { IncidentState } from './dispatch.js';
import {
  awaitRollout,
  checkHealth,
  lockApp,
  readApp,
  type IncidentRun,
} from './shared.js';

/** Keys, identities and the bucket, resolved once (secrets masked). */
export async function corruptionAccess(r: IncidentRun): Promise<ArchiveAccess> {
  const { o, ctx } = r;
  const identities = o.ageIdentity ? parseIdentities(o.ageIdentity) : [];
  for (const id of identities) ctx.maskSecret(id);
  const s3 = readerLocations({ ...o, archive: undefined });
  const access = await archiveAccess(
    { archive: undefined, destination: o.destination },
    s3,
    ctx.signal,
  );
  return {
    identities,
    recipients: await parseRecipients(o.ageRecipients),
    s3,
    ...access,
  };
}

function databaseName(r: IncidentRun): string {
  const { o } = r;
  return databaseMode(o, true) === 'url'
    ? parsePgUrl(o.databaseUrl ?? '', 'database-url', r.ctx.maskSecret).database
    : o.database;
}

/** The chosen archive as a plan's basis: present (a directory's file), by name. */
function archiveRef(path: string): StateRef {
  return {
    object: `archive ${path}`,
    versionKind: 'value',
    version: isBucketUrl(path) || existsSync(path) ? 'present' : 'absent',
  };
}

/**
 * data-corruption under change control: stop the application, take an
 * emergency backup of the corrupted state, restore the last known good
 * archive, validate with health at 1 replica, then scale back; when the
 * validation fails the application stays at 0, and the step says so.
 */
export function corruptionMutation(
  r: IncidentRun,
  a: ArchiveAccess,
  state: IncidentState,
): Mutation {
  const { o } = r;
  const db = `database ${databaseName(r)}`;
  const dbRef: StateRef = { object: db, versionKind: 'value', version: 'live' };
  return {
    procedure: 'incident',
    target: {
      server: r.kube.server,
      namespaces: [o.namespace],
      incident: 'data-corruption',
      deployment: o.deployment,
      database: databaseName(r),
      destination: o.destination,
      prefix: o.prefix,
      emergencyPrefix: o.emergencyPrefix,
      notAfter: o.notAfter?.toISOString() ?? null,
    },
    async makePlan() {
      const app = await readApp(r);
      const good = await lastGoodArchive(r, a);
      r.tl.add(
        `last known good archive: ${good.path}${good.passedOver.length ? ` (${good.passedOver.length} newer passed over)` : ''}`,
      );
      const n = app.replicas;
      const dep = app.ref.object;
      return {
        basis: [app.ref, dbRef, archiveRef(good.path)],
        changes: [
          {
            object: dep,
            action: `scale ${n} -> 0 replicas`,
            reason: 'stop further corruption',
            undo: `scale back to ${n}`,
            params: { step: 'stop', replicas: n },
          },
          {
            object: db,
            action: `emergency backup to ${o.destination ?? ''} (${o.emergencyPrefix}_...)`,
            reason: 'keep the corrupted state for analysis',
            undo: 'none needed (a new archive)',
            params: { step: 'backup' },
          },
          {
            object: db,
            action: `restore ${good.path} (pg_restore --clean --if-exists --single-transaction)`,
            reason: `the last known good archive${o.notAfter ? ` at or before ${o.notAfter.toISOString()}` : ''}`,
            undo: 'restore the emergency backup this run takes',
            params: { step: 'restore', archive: good.path },
          },
          {
            object: dep,
            action: `scale 0 -> 1, validate health, then scale 1 -> ${n}`,
            reason: 'validate the restored data before resuming',
            undo: 'scale to 0 (done automatically when the validation fails)',
            params: { step: 'resume', replicas: n },
          },
        ],
      };
    },
    async liveState(plan: Plan) {
      const archive = plan.basis.find((b) => b.object.startsWith('archive '));
      return [
        (await readApp(r)).ref,
        dbRef,
        ...(archive ? [archiveRef(archive.object.slice(8))] : []),
      ];
    },
    execute: (plan) => executeCorruption(r, a, plan, state),
    async verify() {
      /* the validation is part of the apply: it decides the replica count */
    },
    lock: () => lockApp(r),
  };
}

async function executeCorruption(
  r: IncidentRun,
  a: ArchiveAccess,
  plan: Plan,
  state: IncidentState,
): Promise<void> {
  const { o } = r;
  const dep = `Deployment ${o.namespace}/${o.deployment}`;
  const p = (s: string) =>
    plan.changes.find((c) => c.params?.['step'] === s)?.params ?? {};
  const replicas = Number(p('stop')['replicas']);
  const scale = async (n: number, why: string) => {
    await setReplicas(
      r.kube,
      { namespace: o.namespace, name: o.deployment },
      n,
    );
    r.rb.change(`scale to ${n} replicas (${why})`, dep, `scale to ${replicas}`);
    r.tl.add(`scaled ${dep} to ${n} replicas: ${why}`);
    await awaitRollout(r, `rollout at ${n} replica(s)`);
  };
  await scale(0, 'stop further corruption');
  try {
    await recover(r, a, plan, state, scale, replicas);
  } catch (e) {
    r.tl.add(`stopped part way: ${dep} stays at 0 replicas`);
    r.rb.followUps.push(
      `${dep} was left at 0 replicas: the recovery stopped part way (see the failed check); fix the cause and run data-corruption again`,
    );
    throw e;
  }
}

async function recover(
  r: IncidentRun,
  a: ArchiveAccess,
  plan: Plan,
  state: IncidentState,
  scale: (n: number, why: string) => Promise<void>,
  replicas: number,
): Promise<void> {
  const { o } = r;
  const p = (s: string) =>
    plan.changes.find((c) => c.params?.['step'] === s)?.params ?? {};
  const via = databaseMode(o, true) ?? 'url';
  const ep = await databaseEndpoint(
    o,
    via,
    r.kube,
    o.namespace,
    r.ctx.maskSecret,
  );
  const em = await emergencyBackup(r, a, ep, via);
  state.emergencyArchive = em.path;
  r.rb.artifacts.push(em);
  r.rb.change('emergency backup', ep.describe, 'none needed');
  r.tl.add(`emergency backup written: ${em.path} (sha256 ${em.sha256})`);
  const archive = String(p('restore')['archive']);
  await restoreArchive(r, a, archive, ep);
  state.restoredArchive = archive;
  r.rb.change(`restored ${archive}`, ep.describe, `restore ${em.path}`);
  r.tl.add(`restored ${archive}`);
  await scale(1, 'validate the restored data');
  const health = await checkHealth(r, 'Validation at 1 replica');
  if (health === 'unhealthy') {
    await scale(0, 'the validation failed: staying stopped');
    r.rb.check({
      name: 'validation',
      status: 'failed',
      observed: `unhealthy at 1 replica after restoring ${archive}: the application stays at 0 replicas`,
      detail:
        'investigate, then scale back by hand or restore another archive (not-after)',
    });
    state.headline =
      'the validation failed: the application stays at 0 replicas';
    return;
  }
  r.rb.check({
    name: 'validation',
    status: 'ok',
    observed: `${health} at 1 replica`,
  });
  await scale(replicas, 'resume normal operations');
  state.headline = `restored ${archive}, validated, back at ${replicas} replicas`;
}
