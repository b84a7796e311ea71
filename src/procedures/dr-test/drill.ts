import type { RemoteOpener } from '../../archive/archive-reader.js';
import { restoreDatabaseFrom } from '../../archive/restore-steps.js';
import { compareCounts } from '../../archive/verify-checks.js';
import type { VerifiedCandidate } from '../../dr/archive.js';
import { waitHealthy } from '../../dr/healthy.js';
import {
  withReplicasGuarded,
  type BringBack,
  type ReplicaGuard,
  type ReplicaRecord,
} from '../../dr/replicas.js';
import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { waitForRollout } from '../../kube/rollout.js';
import { databaseEndpoint } from '../../postgres/source.js';
import { countTablesNow } from '../../postgres/tools.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { DrTestOptions } from './inputs.js';

/** Everything one DR drill works on, resolved. */
export interface DrillTarget {
  kube: Kube;
  o: DrTestOptions;
  /** The database Deployment's record, then the application's. */
  db: ReplicaRecord;
  app: ReplicaRecord;
  archive: VerifiedCandidate;
  identities: string[];
  dbMode: 'url' | 'exec';
  remote?: RemoteOpener;
}

/** What the drill measured, filled in as it goes (kept when it throws). */
export interface DrillClock {
  /** The stage running, for the one-line failure. */
  stage: string;
  failureAt?: Date;
  healthyAt?: Date;
  bringBack?: BringBack;
}

/** A sleep a cancel does not cut short: the bring-back's waits after a failure. */
const plainSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function rolledOut(
  t: DrillTarget,
  ctx: ProcedureContext,
  r: ReplicaRecord,
): Promise<void> {
  const st = await waitForRollout(t.kube, r.namespace, r.name, {
    timeoutMs: t.o.timeout,
    now: ctx.now,
    sleep: ctx.sleep,
    intervalMs: 500,
    onProgress: ctx.log.info,
  });
  if (!st.done) throw new Error(`${r.object}: ${st.message}`);
}

/** Restores the archive's dump into the database and compares row counts. */
async function restoreData(
  t: DrillTarget,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<void> {
  const ep = await databaseEndpoint(
    t.o,
    t.dbMode,
    t.kube,
    t.o.namespace,
    ctx.maskSecret,
  );
  const m = t.archive.manifest;
  await ctx.log.group('restore', () =>
    restoreDatabaseFrom(t.archive.path, t.identities, m, ep, t.remote),
  );
  rb.change(
    `restored the database from ${t.archive.path} (pg_restore --clean --if-exists --single-transaction)`,
    ep.describe,
    'none: the data is the backup now; writes after it are lost (run the DR test against the DR target)',
  );
  const diffs = compareCounts(
    m.database?.tables ?? [],
    await countTablesNow(ep),
  );
  rb.check({
    name: 'row counts',
    status: diffs.length === 0 ? 'ok' : 'failed',
    observed:
      diffs.length === 0
        ? `${m.database?.tables.length ?? 0} table(s) match the archive's manifest`
        : diffs.slice(0, 10).join('; '),
  });
  if (diffs.length > 0)
    throw new Error(
      `the restored data differs from the archive: ${diffs[0] ?? ''}`,
    );
}

async function steps(
  t: DrillTarget,
  g: ReplicaGuard,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  clock: DrillClock,
): Promise<void> {
  const { db, app } = t;
  clock.stage = 'simulated failure';
  clock.failureAt = ctx.now();
  await g.scale(db.object, 0);
  await rolledOut(t, ctx, db);
  clock.stage = 'stopping the application';
  await g.scale(app.object, 0);
  await rolledOut(t, ctx, app);
  clock.stage = 'database back';
  await g.scale(db.object, db.replicas);
  await rolledOut(t, ctx, db);
  clock.stage = 'restore';
  await restoreData(t, ctx, rb);
  clock.stage = 'application back';
  await g.scale(app.object, app.replicas);
  await rolledOut(t, ctx, app);
  clock.stage = 'health';
  const h = await ctx.log.group('wait for health', () =>
    waitHealthy(
      t.kube,
      {
        namespace: t.o.namespace,
        selector: t.o.selector,
        url: t.o.healthUrl,
        expectedStatus: t.o.expectedStatus,
        attemptTimeoutMs: t.o.httpTimeout,
      },
      {
        timeoutMs: t.o.timeout,
        now: ctx.now,
        sleep: ctx.sleep,
        onProgress: ctx.log.info,
      },
    ),
  );
  rb.checks.push(...h.checks.map((c) => ({ ...c, name: `health: ${c.name}` })));
  if (!h.healthy)
    throw new Error(
      `not healthy within ${t.o.timeout / 1000} s: ${h.checks
        .filter((c) => c.status !== 'ok')
        .map((c) => `${c.name}: ${c.observed}`)
        .join('; ')}`,
    );
  clock.healthyAt = h.healthyAt;
}

/**
 * The runbook's DR test: the database down (the failure; RTO starts), the
 * application stopped, the database back and restored from the verified
 * archive, the application back, health waited for (RTO ends). Whatever
 * happens, both Deployments end at their recorded replica counts; a failure
 * throws one line naming the stage.
 */
export async function runDrill(
  t: DrillTarget,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  clock: DrillClock,
): Promise<void> {
  await withReplicasGuarded(
    t.kube,
    [t.db, t.app],
    async (g) => {
      try {
        await steps(t, g, ctx, rb, clock);
      } catch (e) {
        throw new Error(`${clock.stage}: ${errorMessage(e)}`, { cause: e });
      }
    },
    {
      onChange: (c) =>
        rb.change(
          `${c.bringBack ? 'brought back: ' : ''}scaled ${c.from} -> ${c.to} replicas`,
          c.object,
          c.bringBack
            ? 'none needed (the recorded count)'
            : `scale back to ${c.from} (done at the end whatever happens)`,
        ),
      onBringBack: (b) => {
        clock.bringBack = b;
      },
      wait: {
        timeoutMs: t.o.timeout,
        now: ctx.now,
        sleep: plainSleep,
        signal: ctx.signal,
      },
    },
  );
}
