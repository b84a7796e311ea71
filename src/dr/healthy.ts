import type { V1Pod } from '@kubernetes/client-node';
import { checkHttp } from '../health/http.js';
import { isReady, podsCheck } from '../health/pods.js';
import type { Kube } from '../kube/client.js';
import type { Check } from '../report/step-result.js';

/** What "healthy" means for a wait. */
export interface HealthTarget {
  namespace: string;
  /** Label selector of the pods that must all be Ready (none crash-looping). */
  selector: string;
  /** The health endpoint that must answer `expectedStatus`; undefined: pods only. */
  url?: URL;
  expectedStatus: number;
  /** Timeout of one HTTP attempt, ms. */
  attemptTimeoutMs: number;
  /** How many pods must be Ready at least (default 1). */
  minReady?: number;
}

/** The outcome of a wait for health. */
export interface HealthWait {
  healthy: boolean;
  /** When both checks first passed together; undefined when they never did. */
  healthyAt?: Date;
  /** The last round's checks (`http` and `pods`). */
  checks: Check[];
}

async function round(kube: Kube, t: HealthTarget): Promise<Check[]> {
  const { namespace, selector } = t;
  const pods = await kube.listAll<V1Pod>(
    `list pods in ${namespace}`,
    (cont, limit) =>
      kube.core.listNamespacedPod({
        namespace,
        labelSelector: selector,
        limit,
        _continue: cont,
      }),
  );
  const p = podsCheck(pods, Number.MAX_SAFE_INTEGER).check;
  const ready = pods.filter(
    (x) => !x.metadata?.deletionTimestamp && isReady(x),
  ).length;
  const min = t.minReady ?? 1;
  const pods2: Check =
    p.status === 'ok' && ready >= min
      ? p
      : {
          ...p,
          status: 'failed',
          threshold: `at least ${min} Ready, all Ready`,
        };
  const checks = [pods2];
  if (t.url) {
    const { check } = await checkHttp({
      url: t.url,
      expectedStatus: t.expectedStatus,
      timeoutMs: t.attemptTimeoutMs,
      retries: 0,
      sleep: () => Promise.resolve(),
    });
    checks.unshift(check);
  }
  return checks;
}

/**
 * Polls the pods (all Ready, at least `minReady`, none crash-looping) and the
 * HTTP health endpoint until both pass in one round or `timeoutMs` passes.
 * Reads only. `sleep` is the run's (a cancel ends the wait by rejecting).
 */
export async function waitHealthy(
  kube: Kube,
  t: HealthTarget,
  o: {
    timeoutMs: number;
    intervalMs?: number;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
    onProgress?: (m: string) => void;
  },
): Promise<HealthWait> {
  const deadline = o.now().getTime() + o.timeoutMs;
  let last = '';
  for (;;) {
    const checks = await round(kube, t);
    const at = o.now();
    if (checks.every((c) => c.status === 'ok'))
      return { healthy: true, healthyAt: at, checks };
    const msg = checks
      .filter((c) => c.status !== 'ok')
      .map((c) => `${c.name}: ${c.observed}`)
      .join('; ');
    if (msg !== last) o.onProgress?.(`waiting for health: ${msg}`);
    last = msg;
    if (at.getTime() >= deadline) return { healthy: false, checks };
    await o.sleep(o.intervalMs ?? 1000);
  }
}
