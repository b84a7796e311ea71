import type { Manifest } from '../archive/manifest.js';
import type { Check } from '../report/step-result.js';

/** Recovery time and recovery point of one recovery, measured. */
export interface RecoveryTimes {
  /** When the failure started (the database went down). */
  failureAt: Date;
  /** When the service was healthy again; undefined: it never was. */
  healthyAt?: Date;
  /** The time of the data restored: the backup's start (its snapshot). */
  dataAt: Date;
  /** healthyAt - failureAt, seconds; undefined when never healthy. */
  rtoSeconds?: number;
  /** failureAt - dataAt, seconds: the writes a real failure would have lost. */
  rpoSeconds: number;
}

/**
 * The time of the data an archive holds: when its backup started, as the
 * dump's snapshot is taken at its start and nothing written later is in it
 * (the manifest's `startedAt`; `endedAt` when that does not parse).
 */
export function dataTimeOf(m: Manifest): Date {
  const start = Date.parse(m.startedAt);
  return new Date(Number.isFinite(start) ? start : Date.parse(m.endedAt));
}

/** RTO = failure to healthy; RPO = age of the restored data at the failure. */
export function measureRecovery(
  failureAt: Date,
  dataAt: Date,
  healthyAt?: Date,
): RecoveryTimes {
  const secs = (ms: number) => Math.round(ms) / 1000;
  return {
    failureAt,
    healthyAt,
    dataAt,
    rtoSeconds:
      healthyAt !== undefined
        ? secs(Math.max(0, healthyAt.getTime() - failureAt.getTime()))
        : undefined,
    rpoSeconds: secs(Math.max(0, failureAt.getTime() - dataAt.getTime())),
  };
}

/** A number of seconds in the largest unit that reads well ("1 h 5 min", "42 s"). */
export function formatSeconds(s: number): string {
  if (s < 120) return `${Number(s.toFixed(1))} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 172_800)
    return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/**
 * The `rto` and `rpo` checks against their targets (ms; undefined: only
 * reported). A recovery that never became healthy fails the RTO check.
 */
export function recoveryChecks(
  t: RecoveryTimes,
  targets: { rtoMs?: number; rpoMs?: number },
): Check[] {
  const rtoTarget = targets.rtoMs;
  const rpoTarget = targets.rpoMs;
  const rto: Check =
    t.rtoSeconds === undefined
      ? {
          name: 'rto',
          status: 'failed',
          observed: `not healthy again (failure at ${t.failureAt.toISOString()})`,
          threshold: limit(rtoTarget),
        }
      : against('rto', t.rtoSeconds, rtoTarget, 'failure to healthy');
  const rpo = against(
    'rpo',
    t.rpoSeconds,
    rpoTarget,
    'age of the data restored',
  );
  return [rto, rpo];
}

function limit(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : `at most ${formatSeconds(ms / 1000)}`;
}

function against(
  name: string,
  seconds: number,
  targetMs: number | undefined,
  what: string,
): Check {
  const over = targetMs !== undefined && seconds * 1000 > targetMs;
  return {
    name,
    status: over ? 'failed' : 'ok',
    observed: `${formatSeconds(seconds)} (${what})${over ? ', over the target' : ''}`,
    threshold: limit(targetMs),
  };
}
