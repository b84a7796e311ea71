import { errorMessage } from '../errors.js';
import { gauge, JOBS, METRICS } from '../prometheus/catalog.js';
import { push, type Gauge } from '../prometheus/pushgateway.js';
import type { ResultBuilder } from '../report/step-result.js';

/**
 * Pushes a run's gauges to `job/<job>/instance/<instance>`. On success the
 * whole group is replaced (PUT), last-success timestamp included; on failure
 * only the gauges this run produced are replaced (POST), so the last success
 * timestamp of an earlier run survives and `time() - ..._last_success_...`
 * keeps telling how long backups have been failing.
 */
export async function pushRun(
  url: URL | undefined,
  job: string,
  instance: string,
  ok: boolean,
  gauges: Gauge[],
  lastSuccess: Gauge,
): Promise<string | undefined> {
  if (!url) return undefined;
  const all = ok ? [...gauges, lastSuccess] : gauges;
  await push(url, ok ? 'PUT' : 'POST', job, { instance }, all);
  return `${all.map((g) => `${g.name} ${g.value}`).join(', ')} (${ok ? 'PUT' : 'POST'} ${job}/${instance})`;
}

/**
 * Sets `pqc_backup_success 0` for a prefix (POST, so the last success
 * timestamp stays): a backup that fails verification is no backup, and the
 * runbook's BackupFailure alert must fire.
 */
export async function markBackupUnusable(
  url: URL | undefined,
  prefix: string,
): Promise<void> {
  if (!url) return;
  await push(url, 'POST', JOBS.backup, { instance: prefix }, [
    gauge(METRICS.backupSuccess, 0),
  ]);
}

/**
 * Runs a push and records it as the `metrics` check: ok with what was pushed,
 * or a warning (a Pushgateway outage must not fail a good backup).
 */
export async function recordPush(
  rb: ResultBuilder,
  pushIt: () => Promise<string | undefined>,
): Promise<void> {
  try {
    const pushed = await pushIt();
    if (pushed)
      rb.check({ name: 'metrics', status: 'ok', observed: `pushed ${pushed}` });
  } catch (e) {
    rb.check({ name: 'metrics', status: 'warning', observed: errorMessage(e) });
  }
}
