import { recordPush } from '../../archive/metrics.js';
import {
  dataTimeOf,
  formatSeconds,
  measureRecovery,
  recoveryChecks,
  type RecoveryTimes,
} from '../../dr/recovery.js';
import { errorMessage } from '../../errors.js';
import type {
  ChangeControlOutcome,
  ChangeControlOutput,
} from '../../plan/change-control.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push } from '../../prometheus/pushgateway.js';
import type { ProcedureOutcome } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import type { DrTestOptions } from './inputs.js';
import type { DrState } from './mutation.js';

type DrOutput = 'archive' | 'rto-seconds' | 'rpo-seconds' | ChangeControlOutput;

/**
 * RTO and RPO of an apply that got as far as the simulated failure: the
 * `rto` and `rpo` checks against their targets, the metrics, and whether the
 * workloads were brought back. Undefined when nothing was taken down.
 */
export function recordRecovery(
  o: DrTestOptions,
  rb: ResultBuilder,
  state: DrState,
): RecoveryTimes | undefined {
  const c = state.clock;
  const back = c.bringBack;
  if (back)
    rb.check({
      name: 'bring back',
      status: back.failed.length + back.notReady.length > 0 ? 'failed' : 'ok',
      observed:
        back.failed.length + back.notReady.length > 0
          ? [...back.failed, ...back.notReady].join('; ')
          : back.restored.length > 0
            ? `scaled back to the recorded counts: ${back.restored.join(', ')}`
            : 'every workload at its recorded count',
    });
  if (!c.failureAt || !state.archive) return undefined;
  const t = measureRecovery(
    c.failureAt,
    dataTimeOf(state.archive.manifest),
    c.healthyAt,
  );
  rb.checks.push(
    ...recoveryChecks(t, { rtoMs: o.rtoTarget, rpoMs: o.rpoTarget }),
  );
  if (t.rtoSeconds !== undefined) rb.metrics[METRICS.drRto.name] = t.rtoSeconds;
  rb.metrics[METRICS.drRpo.name] = t.rpoSeconds;
  return t;
}

/**
 * Pushes `pqc_dr_rto_seconds` and `pqc_dr_rpo_seconds` (job pqc-ops-dr-test,
 * instance the namespace): PUT when both were measured, else POST of the RPO
 * alone, so the last measured RTO stays. A Pushgateway outage is a warning.
 */
export async function pushDrMetrics(
  o: DrTestOptions,
  rb: ResultBuilder,
  t: RecoveryTimes | undefined,
): Promise<void> {
  const url = o.pushgatewayUrl;
  if (!url || !t) return;
  await recordPush(rb, async () => {
    const gauges = [
      ...(t.rtoSeconds !== undefined
        ? [gauge(METRICS.drRto, t.rtoSeconds)]
        : []),
      gauge(METRICS.drRpo, t.rpoSeconds),
    ];
    const method = t.rtoSeconds !== undefined ? 'PUT' : 'POST';
    await push(url, method, JOBS.drTest, { instance: o.namespace }, gauges);
    return `${gauges.map((g) => `${g.name} ${g.value}`).join(', ')} (${method} ${JOBS.drTest}/${o.namespace})`;
  });
}

/** The record and outputs; one line naming what went wrong when it failed. */
export function conclude(
  rb: ResultBuilder,
  state: DrState,
  t: RecoveryTimes | undefined,
  ccValues: Record<ChangeControlOutput, string>,
  cc: ChangeControlOutcome | undefined,
  error: unknown,
): ProcedureOutcome<DrOutput> {
  const outputs: Record<DrOutput, string> = {
    archive: state.archive?.path ?? '',
    'rto-seconds': t?.rtoSeconds !== undefined ? String(t.rtoSeconds) : '',
    'rpo-seconds': t ? String(t.rpoSeconds) : '',
    ...ccValues,
  };
  const back = state.clock.bringBack;
  const broughtBack =
    back && back.failed.length + back.notReady.length === 0
      ? `; the workloads were brought back to their recorded replica counts${back.restored.length ? ` (${back.restored.join(', ')})` : ''}`
      : '';
  if (error !== undefined) {
    const why = `${errorMessage(error)}${broughtBack}`;
    rb.check({ name: 'dr test', status: 'failed', observed: why });
    return {
      result: rb.finish(`DR test failed: ${why}`, 'failed'),
      outputs,
      failure: `dr-test: ${why}`,
    };
  }
  const failed = rb.checks.find((c) => c.status === 'failed');
  const times = t
    ? `RTO ${t.rtoSeconds !== undefined ? formatSeconds(t.rtoSeconds) : 'none'}, RPO ${formatSeconds(t.rpoSeconds)}`
    : '';
  const summary = !cc?.applied
    ? `Planned: DR test restoring ${state.archive?.path ?? 'the newest verified archive'} (not applied).`
    : failed
      ? `DR test: ${failed.name}: ${failed.observed} (${times})`
      : `DR test passed: ${times}, from ${state.archive?.path ?? ''}${state.failoverDone.length ? `; failover rolled out ${state.failoverDone.length} Deployment(s)` : ''}.`;
  return {
    result: rb.finish(summary),
    outputs,
    failure: failed ? `dr-test: ${failed.name}: ${failed.observed}` : undefined,
  };
}
