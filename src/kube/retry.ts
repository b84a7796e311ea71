import { AttemptTimeout, describeApiError, toKubeError } from './errors.js';
import { timerMs } from '../process/timer.js';

/** Bounded exponential backoff for API calls. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Per-attempt timeout; a call that takes longer counts as a timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  baseMs: 250,
  maxMs: 10_000,
  timeoutMs: 30_000,
};

/**
 * Whether an error is worth another attempt: 429, 5xx, timeouts and dropped
 * connections; never another 4xx. A non-idempotent call (a create) is retried
 * only on 429, which the server sends before doing anything.
 */
export function isRetryable(e: unknown, idempotent: boolean): boolean {
  if (e instanceof AttemptTimeout) return idempotent;
  const d = describeApiError(e);
  if (d.code === 429) return true;
  if (!idempotent) return false;
  if (d.code !== undefined) return d.code >= 500;
  return d.connection;
}

/**
 * Runs `fn` with retries. `onRetry` hears about each retry (for the log).
 * The final error is a KubeError naming `what`, and for a connection failure
 * `server` (the API server URL) and why it could not be reached.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  opts: {
    policy?: RetryPolicy;
    idempotent?: boolean;
    sleep?: (ms: number) => Promise<void>;
    onRetry?: (msg: string) => void;
    server?: string;
  } = {},
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const sleep =
    opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const idempotent = opts.idempotent ?? true;
  let last: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await withTimeout(fn(), policy.timeoutMs);
    } catch (e) {
      last = e;
      if (attempt === policy.attempts || !isRetryable(e, idempotent)) break;
      const d = describeApiError(e, opts.server);
      const backoff = Math.min(
        policy.maxMs,
        policy.baseMs * 2 ** (attempt - 1),
      );
      const wait = timerMs(
        d.retryAfterMs !== undefined
          ? Math.min(policy.maxMs, d.retryAfterMs)
          : backoff,
      );
      opts.onRetry?.(
        `${what}: ${d.message}; retry ${attempt}/${policy.attempts - 1} in ${wait} ms`,
      );
      await sleep(wait);
    }
  }
  throw toKubeError(what, last, opts.server);
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // The losing call may still reject later; that must not be unhandled.
  p.catch(() => undefined);
  // A timeout above Node's timer range would fire at once: cap it.
  const limit = Math.max(1, timerMs(ms));
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(limit)), limit);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}
