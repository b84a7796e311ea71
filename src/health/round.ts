import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { PodRunner } from '../kube/exec.js';
import { worst, type Check } from '../report/step-result.js';
import { backupCheck } from './backup-age.js';
import { bucketBackupCheck } from './bucket-age.js';
import type { S3Settings } from '../storage/client.js';
import { isBucketUrl } from '../storage/location.js';
import { cryptoArgv, cryptoCheck } from './crypto.js';
import { checkHttp } from './http.js';
import { deploymentCheck, isReady, podsCheck } from './pods.js';
import { resourceCheck, usages, usageTable } from './resources.js';

/** What one round of health checks is given (the health inputs, parsed). */
export interface HealthCheckOptions {
  namespace: string;
  /** Label selector of the application pods. */
  selector: string;
  deployment: string;
  healthUrl: URL | undefined;
  expectedStatus: number;
  /** Timeout of one HTTP attempt, ms. */
  timeout: number;
  retries: number;
  cryptoCheck: 'liboqs-python' | 'none' | 'command';
  cryptoCommand: string[] | undefined;
  cryptoAlgorithms: string[];
  cryptoContainer: string | undefined;
  cryptoTimeout: number;
  cpuThreshold: number;
  memoryThreshold: number;
  restartThreshold: number;
  /** Directory of backup archives on the runner; undefined: not checked. */
  backupDir: string | undefined;
  backupPrefix: string;
  backupMaxAge: number;
  /** The object-store settings when backupDir is an s3:// URL. */
  backupS3?: S3Settings;
}

/** What a round needs from the run: its log, clock and sleep. */
export interface HealthCheckContext {
  log: {
    info: (m: string) => void;
    warning: (m: string) => void;
    group: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  };
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** The service's status: the worst check decides. */
export type Health = 'healthy' | 'degraded' | 'unhealthy';

/** failed -> unhealthy, warning -> degraded, else healthy. */
export function healthOf(checks: Check[]): Health {
  const w = worst(checks.map((c) => c.status));
  return w === 'failed'
    ? 'unhealthy'
    : w === 'warning'
      ? 'degraded'
      : 'healthy';
}

/** One round of every check. Reads only. */
export async function runChecks(
  kube: Kube,
  o: HealthCheckOptions,
  ctx: HealthCheckContext,
): Promise<{ checks: Check[]; details: string[] }> {
  const ns = o.namespace;
  const checks: Check[] = [];
  const details: string[] = [];
  if (o.healthUrl) {
    const url = o.healthUrl;
    const { check } = await ctx.log.group('HTTP health endpoint', () =>
      checkHttp({
        url,
        expectedStatus: o.expectedStatus,
        timeoutMs: o.timeout,
        retries: o.retries,
        sleep: ctx.sleep,
        log: ctx.log.info,
      }),
    );
    checks.push(check);
  }
  const pods = await kube.listAll<V1Pod>(
    `list pods ${o.selector} in ${ns}`,
    (cont, limit) =>
      kube.core.listNamespacedPod({
        namespace: ns,
        labelSelector: o.selector,
        limit,
        _continue: cont,
      }),
  );
  const pc = podsCheck(pods, o.restartThreshold);
  checks.push(pc.check);
  if (pc.table) details.push(pc.table);
  const d = await kube.getOrUndefined(
    `read deployment ${ns}/${o.deployment}`,
    () =>
      kube.apps.readNamespacedDeployment({ name: o.deployment, namespace: ns }),
  );
  checks.push(deploymentCheck(d, `${ns}/${o.deployment}`));
  const metrics = await kube.podMetrics(ns);
  if (metrics === undefined) {
    ctx.log.warning(
      'metrics.k8s.io is not served (is metrics-server installed?): CPU and memory not checked',
    );
    for (const r of ['cpu', 'memory'])
      checks.push({
        name: r,
        status: 'skipped',
        observed: 'metrics.k8s.io not available',
        detail: 'install metrics-server to check resource use',
      });
  } else {
    const us = usages(pods, metrics);
    checks.push(
      resourceCheck(us, 'cpu', o.cpuThreshold),
      resourceCheck(us, 'memory', o.memoryThreshold),
    );
    const t = usageTable(us);
    if (t) details.push(t);
  }
  if (o.cryptoCheck !== 'none') checks.push(await selfTest(kube, o, pods, ctx));
  if (o.backupDir) checks.push(await backupFreshness(o, o.backupDir, ctx));
  return { checks, details };
}

/** The backup check, on a directory or a bucket. */
function backupFreshness(
  o: HealthCheckOptions,
  where: string,
  ctx: HealthCheckContext,
): Promise<Check> {
  return isBucketUrl(where) && o.backupS3
    ? bucketBackupCheck(
        where,
        o.backupS3,
        o.backupMaxAge,
        ctx.now(),
        o.backupPrefix,
        ctx.signal,
      )
    : backupCheck(where, o.backupMaxAge, ctx.now(), o.backupPrefix);
}

async function selfTest(
  kube: Kube,
  o: HealthCheckOptions,
  pods: V1Pod[],
  ctx: HealthCheckContext,
): Promise<Check> {
  const threshold = `${o.cryptoAlgorithms.join(', ')} usable`;
  const pod = pods
    .filter((p) => isReady(p) && !p.metadata?.deletionTimestamp)
    .sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    )[0];
  if (!pod?.metadata?.name)
    return {
      name: 'crypto',
      status: 'failed',
      observed: 'no Ready pod to run the self-test in',
      threshold,
    };
  const container = o.cryptoContainer || pod.spec?.containers[0]?.name || '';
  if (!pod.spec?.containers.some((c) => c.name === container)) {
    return {
      name: 'crypto',
      status: 'failed',
      observed: `pod ${pod.metadata.name} has no container "${container}"`,
      threshold,
      detail: "check input 'crypto-container'",
    };
  }
  const runner = new PodRunner(kube, o.namespace, pod.metadata.name, container);
  const argv = cryptoArgv(
    o.cryptoCheck === 'command' ? 'command' : 'liboqs-python',
    o.cryptoAlgorithms,
    o.cryptoCommand,
  );
  return ctx.log.group(`Crypto self-test in ${runner.where}`, async () => {
    try {
      return await cryptoCheck(runner, argv, {
        timeoutMs: o.cryptoTimeout,
        algorithms: o.cryptoAlgorithms,
        preset: o.cryptoCheck,
      });
    } catch (e) {
      return {
        name: 'crypto',
        status: 'failed',
        observed: e instanceof Error ? e.message : String(e),
        threshold,
      };
    }
  });
}
