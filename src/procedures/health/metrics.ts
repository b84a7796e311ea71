import { errorMessage } from '../../errors.js';
import { JOBS, METRICS } from '../../prometheus/catalog.js';
import { pushFamilies, type Family } from '../../prometheus/labelled.js';
import { worst, type Check, type Status } from '../../report/step-result.js';

/** The service's status as the health procedure reports it. */
export type ServiceStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

const SERVICE_VALUE: Record<ServiceStatus, number> = {
  healthy: 1,
  degraded: 0.5,
  unhealthy: 0,
  unknown: 0,
};

const CHECK_VALUE: Partial<Record<Status, number>> = {
  ok: 1,
  warning: 0.5,
  failed: 0,
};

/** `pqc_health_status`: 1 healthy, 0.5 degraded, 0 unhealthy or not checked. */
export function healthValue(status: ServiceStatus): number {
  return SERVICE_VALUE[status];
}

/** The Pushgateway group of one service: job pqc-ops-health, its namespace and Deployment. */
export function healthGroupingKey(
  namespace: string,
  deployment: string,
): Record<string, string> {
  return { namespace, deployment };
}

/**
 * The status and one `pqc_health_check_status{check}` per check that ran
 * (skipped ones are left out; a name seen twice keeps its worst outcome).
 */
export function healthFamilies(value: number, checks: Check[]): Family[] {
  const byName = new Map<string, Status>();
  for (const c of checks)
    byName.set(c.name, worst([byName.get(c.name) ?? c.status, c.status]));
  const samples = [...byName]
    .filter(([, s]) => CHECK_VALUE[s] !== undefined)
    .map(([check, s]) => ({ labels: { check }, value: CHECK_VALUE[s] ?? 0 }));
  return [
    {
      ...METRICS.healthStatus,
      type: 'gauge',
      samples: [{ labels: {}, value }],
    },
    { ...METRICS.healthCheck, type: 'gauge', samples },
  ];
}

/**
 * Replaces the service's group (PUT, so checks that no longer run vanish)
 * and returns the `metrics` check: ok with what was pushed, a warning when
 * the Pushgateway failed (an outage must not fail a health check), nothing
 * without a URL.
 */
export async function pushHealth(
  url: URL | undefined,
  namespace: string,
  deployment: string,
  value: number,
  checks: Check[],
): Promise<Check | undefined> {
  if (!url) return undefined;
  const key = healthGroupingKey(namespace, deployment);
  const families = healthFamilies(value, checks);
  try {
    await pushFamilies(url, 'PUT', JOBS.health, key, families);
  } catch (e) {
    return { name: 'metrics', status: 'warning', observed: errorMessage(e) };
  }
  const n = families[1]?.samples.length ?? 0;
  return {
    name: 'metrics',
    status: 'ok',
    observed: `pushed ${METRICS.healthStatus.name} ${value} and ${n} check result(s) (PUT ${JOBS.health}/${namespace}/${deployment})`,
  };
}
