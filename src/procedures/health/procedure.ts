import { s3SettingsOf } from '../../inputs/groups-archive.js';
import { isBucketUrl } from '../../storage/location.js';
import type { S3Settings } from '../../storage/client.js';
import { errorMessage } from '../../errors.js';
import { checkCryptoCommand } from '../../inputs/groups-health.js';
import type { Kube } from '../../kube/client.js';
import { connect } from '../../kube/connect.js';
import { restartDeployment, waitForRollout } from '../../kube/rollout.js';
import { runUrl, sendAlert } from '../../notify/webhook.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { ResultBuilder, worst, type Check } from '../../report/step-result.js';
import { healthInputs, type HealthOptions } from './inputs.js';
import { healthValue, pushHealth } from './metrics.js';
import {
  healthOf,
  runChecks,
  type Health as HealthStatus,
} from '../../health/round.js';

export const health = defineProcedure({
  name: 'health',
  title: 'Daily health check with self-healing',
  description:
    'Checks the health endpoint, pods, Deployment, CPU and memory, a post-quantum crypto self-test and backup freshness; optionally restarts an unhealthy Deployment and escalates to a webhook.',
  inputs: healthInputs,
  outputs: {
    status:
      'healthy, degraded or unhealthy; unknown when the service could not be checked at all (API unreachable, forbidden).',
  },
  failureOutputs: { status: 'unknown' },
  validate(o) {
    if (isBucketUrl(o.backupDir)) s3SettingsOf(o);
    checkCryptoCommand(o);
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const rb = ctx.record({
      cluster: kube.server,
      namespace: o.namespace,
      deployment: o.deployment,
    });
    let round = await runChecks(kube, withBucket(o), ctx);
    let status = healthOf(round.checks);
    let healed = false;
    if (status === 'unhealthy' && o.selfHeal) {
      const failing = round.checks
        .filter((c) => c.status === 'failed')
        .map((c) => `${c.name}: ${c.observed}`);
      rb.details.push(
        `#### Before self-heal: unhealthy\n\n${failing.map((f) => `- ${f}`).join('\n')}`,
      );
      const heal = await selfHeal(kube, o, ctx, rb);
      healed = heal.restarted;
      round = await runChecks(kube, withBucket(o), ctx);
      status = healthOf(round.checks);
      if (heal.check.status === 'ok' && status === 'unhealthy') {
        heal.check.status = 'failed';
        heal.check.observed += '; still unhealthy afterwards';
      }
      round.checks.push(heal.check);
    }
    for (const c of round.checks) rb.check(c);
    rb.details.push(...round.details);
    if (status === 'unhealthy' && o.alertWebhook) {
      const failed = round.checks.filter((c) => c.status === 'failed');
      rb.check(
        await escalate(o, ctx, kube.server, {
          text: `PQC audit service ${o.namespace}/${o.deployment} is unhealthy${o.selfHeal ? ' after self-heal' : ''}: ${failed.map((c) => `${c.name}: ${c.observed}`).join('; ')}`,
          status,
          failed,
          healed,
        }),
      );
    }
    const pushed = await pushHealth(
      o.pushgatewayUrl,
      o.namespace,
      o.deployment,
      healthValue(status),
      rb.checks,
    );
    if (pushed) rb.check(pushed);
    return finish(o, rb, round.checks, status, healed);
  },
  async onFailure(o, failure, ctx) {
    // A cancelled run says nothing about the service.
    if (failure.kind === 'cancelled') return [];
    const ns = o.namespace ?? 'pqc-audit';
    const dep = o.deployment ?? 'pqc-audit';
    const failed: Check[] = [
      { name: failure.kind, status: 'failed', observed: failure.message },
    ];
    const out: Check[] = [];
    const pushed = await pushHealth(o.pushgatewayUrl, ns, dep, 0, failed);
    if (pushed) out.push(pushed);
    if (!o.alertWebhook || failure.kind === 'configuration') return out;
    out.push(
      await escalate(o, ctx, '', {
        text: `PQC audit service ${ns}/${dep} could not be checked: ${failure.message}`,
        status: 'unknown',
        failed,
        healed: false,
      }),
    );
    return out;
  },
});

/** Restarts the Deployment as kubectl rollout restart does and waits for the rollout. */
async function selfHeal(
  kube: Kube,
  o: HealthOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<{ check: Check; restarted: boolean }> {
  return ctx.log.group(
    `Self-heal: restart deployment ${o.namespace}/${o.deployment}`,
    async () => {
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
        return {
          restarted: true,
          check: {
            name: 'self-heal',
            status: st.done ? 'ok' : 'failed',
            observed: st.message,
            threshold: `rollout complete within ${Math.round(o.healTimeout / 1000)} s`,
          },
        };
      } catch (e) {
        return {
          restarted: false,
          check: {
            name: 'self-heal',
            status: 'failed',
            observed: errorMessage(e),
          },
        };
      }
    },
  );
}

/** One escalation to the alert webhook, recorded as the `escalation` check. */
async function escalate(
  o: Partial<HealthOptions>,
  ctx: ProcedureContext,
  cluster: string,
  a: { text: string; status: string; failed: Check[]; healed: boolean },
): Promise<Check> {
  if (!o.alertWebhook)
    return {
      name: 'escalation',
      status: 'skipped',
      observed: 'no alert-webhook',
    };
  try {
    const r = await sendAlert(
      o.alertWebhook,
      {
        text: a.text,
        status: a.status,
        procedure: 'health',
        cluster,
        namespace: o.namespace ?? '',
        deployment: o.deployment ?? '',
        failedChecks: a.failed.map((c) => ({
          name: c.name,
          observed: c.observed,
          detail: c.detail,
        })),
        selfHealAttempted: a.healed,
        runUrl: runUrl(ctx.env),
        at: ctx.now().toISOString(),
      },
      ctx.sleep,
    );
    return {
      name: 'escalation',
      status: 'ok',
      observed: `alert webhook: ${r}`,
    };
  } catch (e) {
    return { name: 'escalation', status: 'failed', observed: errorMessage(e) };
  }
}

/**
 * The record, metrics, follow-ups and the fail-on decision. The record's
 * status is the service's, or a warning when the metrics push failed.
 */
function finish(
  o: HealthOptions,
  rb: ResultBuilder,
  checks: Check[],
  status: HealthStatus,
  healed: boolean,
) {
  rb.metrics['pqc_health_status'] = healthValue(status);
  rb.metrics['pqc_health_checks_failed'] = checks.filter(
    (c) => c.status === 'failed',
  ).length;
  if (status !== 'healthy')
    rb.followUps.push(
      ...checks
        .filter((c) => c.status === 'failed' || c.status === 'warning')
        .map((c) => `${c.name}: ${c.detail ?? c.observed}`),
    );
  const metrics = rb.checks.find((c) => c.name === 'metrics');
  const result = rb.finish(
    `${o.namespace}/${o.deployment} is **${status}**${healed ? ' after self-heal' : ''}.`,
    worst([
      status === 'unhealthy'
        ? 'failed'
        : status === 'degraded'
          ? 'warning'
          : 'ok',
      metrics?.status ?? 'ok',
    ]),
  );
  const fails =
    o.failOn === 'never'
      ? false
      : o.failOn === 'degraded'
        ? status !== 'healthy'
        : status === 'unhealthy';
  const bad = checks.filter(
    (c) => c.status === (status === 'unhealthy' ? 'failed' : 'warning'),
  );
  return {
    result,
    outputs: { status },
    failure: fails
      ? `health: ${o.namespace}/${o.deployment} is ${status}: ${bad.map((c) => `${c.name}: ${c.observed}`).join('; ')}`
      : undefined,
  };
}

/** The health options with the object-store settings when backup-dir is a bucket. */
function withBucket(
  o: HealthOptions,
): HealthOptions & { backupS3?: S3Settings } {
  return isBucketUrl(o.backupDir) ? { ...o, backupS3: s3SettingsOf(o) } : o;
}
