/**
 * Retries on GitHub's rate limits, as GitHub documents them: a `retry-after`
 * header says how long to wait; `x-ratelimit-remaining: 0` waits until
 * `x-ratelimit-reset`; a secondary limit without either waits a minute.
 * Anything else (a 404, a 422, a refused connection) is not retried.
 */

/** How to wait and how long at most. */
export interface RateLimitOptions {
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (for `x-ratelimit-reset`). */
  now?: () => number;
  /** Retries after the first attempt; 3 by default. */
  retries?: number;
  /** A longer wait than this is not waited for (the error is thrown); 5 min by default. */
  maxWaitMs?: number;
  /** Told before each wait (a log line). */
  onWait?: (ms: number, why: string) => void;
}

/** The parts of an Octokit RequestError that matter here. */
interface HttpFailure {
  status: number;
  message: string;
  headers: Record<string, string | number | undefined>;
}

/**
 * The status, message and headers of an answer GitHub gave (an Octokit
 * RequestError with a response); undefined for anything else, including
 * Octokit's status-500 errors for a connection that never got an answer.
 */
export function httpFailure(e: unknown): HttpFailure | undefined {
  if (!e || typeof e !== 'object' || !('status' in e)) return undefined;
  const status = e.status;
  const response = (e as { response?: { headers?: unknown } }).response;
  if (typeof status !== 'number' || !response) return undefined;
  const headers =
    response.headers && typeof response.headers === 'object'
      ? (response.headers as Record<string, string | number | undefined>)
      : {};
  const message = e instanceof Error ? e.message : '';
  return { status, message, headers };
}

const SECONDARY_DEFAULT_MS = 60_000;

/**
 * How long to wait before retrying after `e`, or undefined when `e` is not a
 * rate limit (403/429 with `retry-after`, `x-ratelimit-remaining: 0`, or
 * GitHub's "secondary rate limit" message).
 */
export function rateLimitWait(e: unknown, nowMs: number): number | undefined {
  const f = httpFailure(e);
  if (!f || (f.status !== 403 && f.status !== 429)) return undefined;
  const retryAfter = Number(f.headers['retry-after']);
  if (f.headers['retry-after'] !== undefined && Number.isFinite(retryAfter))
    return Math.max(0, retryAfter * 1000);
  if (String(f.headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(f.headers['x-ratelimit-reset']);
    return Number.isFinite(reset)
      ? Math.max(1000, reset * 1000 - nowMs)
      : SECONDARY_DEFAULT_MS;
  }
  if (f.status === 429 || /secondary rate limit/i.test(f.message))
    return SECONDARY_DEFAULT_MS;
  return undefined;
}

/**
 * Calls `fn`, retrying a bounded number of times when GitHub answers with a
 * rate limit, after the wait GitHub asks for.
 */
export async function withRateLimit<T>(
  fn: () => Promise<T>,
  o: RateLimitOptions,
): Promise<T> {
  const retries = o.retries ?? 3;
  const maxWait = o.maxWaitMs ?? 5 * 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const wait = rateLimitWait(e, (o.now ?? Date.now)());
      if (wait === undefined || attempt >= retries || wait > maxWait) throw e;
      o.onWait?.(
        wait,
        `GitHub rate limit (HTTP ${httpFailure(e)?.status ?? '?'})`,
      );
      await o.sleep(wait);
    }
  }
}
