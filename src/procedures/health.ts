import type { V1Pod } from '@kubernetes/client-node';
import { ConfigurationError } from '../errors.js';
import { input } from '../inputs/spec.js';
import type { Kube } from '../kube/client.js';
import { PodRunner } from '../kube/exec.js';
import { restartDeployment, waitForRollout } from '../kube/rollout.js';
import { ResultBuilder, worst, type Check } from '../report/step-result.js';
import { sendAlert, runUrl } from '../health/alert.js';
import { backupCheck } from '../health/backup-age.js';
import { cryptoArgv, cryptoCheck } from '../health/crypto.js';
import { checkHttp } from '../health/http.js';
import { deploymentCheck, isReady, podsCheck } from '../health/pods.js';
import { resourceCheck, usages, usageTable } from '../health/resources.js';
import { connect } from './connect.js';
import { kubeInputs } from './common-inputs.js';
import { defineProcedure, type ProcedureContext } from './types.js';
import type { OptionsOf } from '../inputs/spec.js';

const inputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the application.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description: 'Label selector of the application pods.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description:
      'The application Deployment (checked, and restarted by self-heal).',
  }),
  healthUrl: input.url('health-url', {
    description: 'URL of the health endpoint. Empty: skip the HTTP check.',
  }),
  expectedStatus: input.integer('expected-status', {
    default: '200',
    min: 100,
    max: 599,
    description: 'HTTP status the health endpoint must answer.',
  }),
  timeout: input.duration('timeout', {
    default: '10s',
    description: 'Timeout of one HTTP attempt.',
  }),
  retries: input.integer('retries', {
    default: '3',
    min: 0,
    max: 20,
    description:
      'HTTP retries after the first attempt, with exponential backoff.',
  }),
  cryptoCheck: input.enumeration(
    'crypto-check',
    ['liboqs-python', 'none', 'command'] as const,
    {
      default: 'liboqs-python',
      description:
        'Post-quantum crypto self-test in one ready pod: liboqs-python (the built-in script), command (crypto-command), or none.',
    },
  ),
  cryptoCommand: input.argv('crypto-command', {
    description:
      'For crypto-check command: the argv to exec, as a JSON or YAML list. Exit 0 passes.',
  }),
  cryptoAlgorithms: input.listOf(
    'crypto-algorithms',
    /^[A-Za-z0-9][A-Za-z0-9_+.-]*$/,
    'algorithm names such as ML-KEM-768',
    {
      default: 'ML-KEM-768,ML-DSA-65',
      description:
        'Algorithms that must be enabled; the first KEM and the first signature are exercised.',
    },
  ),
  cryptoContainer: input.optionalKubeName('crypto-container', {
    description:
      'Container to run the self-test in. Empty: the first container of the pod.',
  }),
  cryptoTimeout: input.duration('crypto-timeout', {
    default: '60s',
    description: 'Time limit of the crypto self-test.',
  }),
  cpuThreshold: input.percent('cpu-threshold', {
    default: '80%',
    description:
      'CPU use above this share of the container limit (else request) makes the service degraded.',
  }),
  memoryThreshold: input.percent('memory-threshold', {
    default: '80%',
    description:
      'Memory use above this share of the container limit (else request) makes the service degraded.',
  }),
  restartThreshold: input.integer('restart-threshold', {
    default: '5',
    min: 1,
    max: 1_000_000,
    description:
      'Container restart count from which a pod is reported degraded.',
  }),
  backupDir: input.directory('backup-dir', {
    description:
      'Directory of backup archives on the runner. Empty: skip the backup check.',
  }),
  backupMaxAge: input.duration('backup-max-age', {
    default: '24h',
    description: 'The newest archive must be younger than this.',
  }),
  selfHeal: input.boolean('self-heal', {
    default: 'false',
    description:
      'When unhealthy: restart the Deployment as kubectl rollout restart does, wait for the rollout, and check again.',
  }),
  healTimeout: input.duration('heal-timeout', {
    default: '5m',
    description: 'How long self-heal waits for the restarted rollout.',
  }),
  alertWebhook: input.url('alert-webhook', {
    secret: true,
    description:
      'Webhook (Slack-compatible JSON POST) that receives one escalation when the service is still unhealthy after self-heal, or unhealthy without it. Secret.',
  }),
  failOn: input.enumeration(
    'fail-on',
    ['unhealthy', 'degraded', 'never'] as const,
    {
      default: 'unhealthy',
      description:
        'Fail the step when the status is unhealthy, degraded (or worse), or never.',
    },
  ),
};

type Options = OptionsOf<typeof inputs>;
type Health = 'healthy' | 'degraded' | 'unhealthy';

function healthOf(checks: Check[]): Health {
  const w = worst(checks.map((c) => c.status));
  return w === 'failed'
    ? 'unhealthy'
    : w === 'warning'
      ? 'degraded'
      : 'healthy';
}

/** One round of every check. Reads only. */
async function runChecks(
  kube: Kube,
  o: Options,
  ctx: ProcedureContext,
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
  if (o.backupDir)
    checks.push(await backupCheck(o.backupDir, o.backupMaxAge, ctx.now()));
  return { checks, details };
}

async function selfTest(
  kube: Kube,
  o: Options,
  pods: V1Pod[],
  ctx: ProcedureContext,
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

/**
 * The runbook's daily health check and its self-healing automation: the
 * health endpoint, pods, the Deployment, CPU and memory against limits, a
 * post-quantum self-test in a pod, backup freshness; optional restart and
 * one escalation.
 */
export const health = defineProcedure({
  name: 'health',
  title: 'Daily health check with self-healing',
  description:
    'Checks the health endpoint, pods, Deployment, CPU and memory, a post-quantum crypto self-test and backup freshness; optionally restarts an unhealthy Deployment and escalates to a webhook.',
  inputs,
  outputs: { status: 'healthy, degraded or unhealthy.' },
  async run(o, ctx) {
    if (o.cryptoCheck === 'command' && !o.cryptoCommand) {
      throw new ConfigurationError(
        "input 'crypto-command' is required when crypto-check is command: give the argv as a JSON list",
      );
    }
    const kube = await connect(o, ctx);
    const rb = new ResultBuilder('health', ctx.now, {
      cluster: kube.server,
      namespace: o.namespace,
      deployment: o.deployment,
    });
    let round = await runChecks(kube, o, ctx);
    let status = healthOf(round.checks);
    let healed = false;
    if (status === 'unhealthy' && o.selfHeal) {
      const failing = round.checks
        .filter((c) => c.status === 'failed')
        .map((c) => `${c.name}: ${c.observed}`);
      rb.details.push(
        `#### Before self-heal: unhealthy\n\n${failing.map((f) => `- ${f}`).join('\n')}`,
      );
      const healCheck = await ctx.log.group(
        `Self-heal: restart deployment ${o.namespace}/${o.deployment}`,
        async (): Promise<Check> => {
          try {
            const at = await restartDeployment(
              kube,
              o.namespace,
              o.deployment,
              ctx.now(),
            );
            rb.change(
              `rollout restart (restartedAt ${at})`,
              `Deployment ${o.namespace}/${o.deployment}`,
              'none needed: a restart replaces pods with the same template; kubectl rollout undo reverts a template change',
            );
            const st = await waitForRollout(kube, o.namespace, o.deployment, {
              timeoutMs: o.healTimeout,
              intervalMs: 1000,
              now: ctx.now,
              sleep: ctx.sleep,
              onProgress: ctx.log.info,
            });
            healed = true;
            return {
              name: 'self-heal',
              status: st.done ? 'ok' : 'failed',
              observed: st.message,
              threshold: `rollout complete within ${Math.round(o.healTimeout / 1000)} s`,
            };
          } catch (e) {
            return {
              name: 'self-heal',
              status: 'failed',
              observed: e instanceof Error ? e.message : String(e),
            };
          }
        },
      );
      round = await runChecks(kube, o, ctx);
      status = healthOf(round.checks);
      if (healCheck.status === 'ok' && status === 'unhealthy') {
        healCheck.status = 'failed';
        healCheck.observed += '; still unhealthy afterwards';
      }
      round.checks.push(healCheck);
    }
    for (const c of round.checks) rb.check(c);
    rb.details.push(...round.details);
    if (status === 'unhealthy' && o.alertWebhook) {
      const failed = round.checks.filter((c) => c.status === 'failed');
      const text = `PQC audit service ${o.namespace}/${o.deployment} is unhealthy${o.selfHeal ? ' after self-heal' : ''}: ${failed.map((c) => `${c.name}: ${c.observed}`).join('; ')}`;
      try {
        const r = await sendAlert(
          o.alertWebhook,
          {
            text,
            status,
            procedure: 'health',
            cluster: kube.server,
            namespace: o.namespace,
            deployment: o.deployment,
            failedChecks: failed.map((c) => ({
              name: c.name,
              observed: c.observed,
              detail: c.detail,
            })),
            selfHealAttempted: healed,
            runUrl: runUrl(ctx.env),
            at: ctx.now().toISOString(),
          },
          ctx.sleep,
        );
        rb.check({
          name: 'escalation',
          status: 'ok',
          observed: `alert webhook: ${r}`,
        });
      } catch (e) {
        rb.check({
          name: 'escalation',
          status: 'failed',
          observed: e instanceof Error ? e.message : String(e),
        });
      }
    }
    rb.metrics['pqc_health_status'] =
      status === 'healthy' ? 0 : status === 'degraded' ? 1 : 2;
    rb.metrics['pqc_health_checks_failed'] = round.checks.filter(
      (c) => c.status === 'failed',
    ).length;
    if (status !== 'healthy') {
      rb.followUps.push(
        ...round.checks
          .filter((c) => c.status === 'failed' || c.status === 'warning')
          .map((c) => `${c.name}: ${c.detail ?? c.observed}`),
      );
    }
    const headline = `${o.namespace}/${o.deployment} is **${status}**${healed ? ' after self-heal' : ''}.`;
    const result = rb.finish(
      headline,
      status === 'unhealthy'
        ? 'failed'
        : status === 'degraded'
          ? 'warning'
          : 'ok',
    );
    const fails =
      o.failOn === 'never'
        ? false
        : o.failOn === 'degraded'
          ? status !== 'healthy'
          : status === 'unhealthy';
    const bad = round.checks.filter(
      (c) => c.status === (status === 'unhealthy' ? 'failed' : 'warning'),
    );
    return {
      result,
      outputs: { status },
      failure: fails
        ? `health: ${o.namespace}/${o.deployment} is ${status}: ${bad.map((c) => `${c.name}: ${c.observed}`).join('; ')}`
        : undefined,
    };
  },
});
