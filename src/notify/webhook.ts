import type { TimelineEntry } from '../report/timeline.js';

/** The escalation payload: Slack-compatible `text` plus structured fields. */
export interface AlertPayload {
  text: string;
  status: string;
  /** The procedure that sends it (health, incident). */
  procedure: string;
  cluster: string;
  namespace: string;
  deployment: string;
  failedChecks: { name: string; observed: string; detail?: string }[];
  /** health: whether self-heal ran first. */
  selfHealAttempted?: boolean;
  /** incident: which emergency procedure, and what it did, when, by whom. */
  incident?: string;
  timeline?: TimelineEntry[];
  runUrl?: string;
  at: string;
}

/**
 * POSTs the escalation once; retried only when the receiver answered 429/5xx
 * or the connection failed before an answer. Never puts the URL in a message.
 */
export async function sendAlert(
  url: URL,
  payload: AlertPayload,
  sleep: (ms: number) => Promise<void>,
): Promise<string> {
  let last = '';
  for (let i = 0; i < 3; i++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.ok) return `delivered (HTTP ${res.status})`;
      last = `HTTP ${res.status}`;
      if (res.status !== 429 && res.status < 500) break;
    } catch (e) {
      const err = e as { name?: string; cause?: { code?: string } };
      last =
        err.name === 'TimeoutError'
          ? 'timed out'
          : (err.cause?.code ?? 'connection failed');
    }
    await sleep(1000 * 2 ** i);
  }
  throw new Error(`the alert webhook did not accept the escalation: ${last}`);
}

/** A link to this workflow run, when running in GitHub Actions. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: s, GITHUB_REPOSITORY: r, GITHUB_RUN_ID: id } = env;
  return s && r && id ? `${s}/${r}/actions/runs/${id}` : undefined;
}
