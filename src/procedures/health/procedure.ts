import { ConfigurationError } from '../../errors.js';
import { restartDeployment, waitForRollout } from '../../kube/rollout.js';
import { ResultBuilder, type Check } from '../../report/step-result.js';
import { sendAlert, runUrl } from '../../notify/webhook.js';
import { healthOf, runChecks } from './round.js';
import { connect } from '../../kube/connect.js';
import { healthInputs } from './inputs.js';
import { defineProcedure } from '../../procedure.js';

export const health = defineProcedure({
  name: 'health',
  title: 'Daily health check with self-healing',
  description:
    'Checks the health endpoint, pods, Deployment, CPU and memory, a post-quantum crypto self-test and backup freshness; optionally restarts an unhealthy Deployment and escalates to a webhook.',
  inputs: healthInputs,
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
