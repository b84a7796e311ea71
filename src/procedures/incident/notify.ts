import { errorMessage } from '../../errors.js';
import { runUrl, sendAlert } from '../../notify/webhook.js';
import type { Check } from '../../report/step-result.js';
import type { IncidentRun } from './shared.js';

/**
 * Tells alert-webhook how the incident procedure ended, with its timeline;
 * recorded as the `notification` check. The URL is a secret: it never
 * appears in a message.
 */
export async function notifyEnd(
  r: Pick<IncidentRun, 'o' | 'ctx' | 'rb' | 'tl'>,
  cluster: string,
  outcome: { status: string; headline: string },
): Promise<Check> {
  const { o, ctx } = r;
  if (!o.alertWebhook)
    return r.rb.check({
      name: 'notification',
      status: 'skipped',
      observed: 'no alert-webhook',
    });
  const failed = r.rb.checks.filter((c) => c.status === 'failed');
  try {
    const said = await sendAlert(
      o.alertWebhook,
      {
        text: `PQC audit ${o.procedure} response on ${o.namespace}/${o.deployment}: ${outcome.headline}`,
        status: outcome.status,
        procedure: 'incident',
        incident: o.procedure,
        cluster,
        namespace: o.namespace,
        deployment: o.deployment,
        failedChecks: failed.map((c) => ({
          name: c.name,
          observed: c.observed,
          detail: c.detail,
        })),
        timeline: r.tl.entries,
        runUrl: runUrl(ctx.env),
        at: ctx.now().toISOString(),
      },
      ctx.sleep,
    );
    return r.rb.check({
      name: 'notification',
      status: 'ok',
      observed: `alert webhook: ${said}`,
    });
  } catch (e) {
    // The response itself is done; an undelivered notice is a warning.
    return r.rb.check({
      name: 'notification',
      status: 'warning',
      observed: errorMessage(e),
    });
  }
}
