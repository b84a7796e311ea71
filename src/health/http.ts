import type { Check } from '../report/step-result.js';

/** One attempt at the health endpoint. */
export interface HttpAttempt {
  status?: number;
  latencyMs: number;
  error?: string;
  firstLine?: string;
}

/**
 * GETs the health URL with a per-attempt timeout, retrying with exponential
 * backoff until the expected status arrives or the retries are spent.
 */
export async function checkHttp(opts: {
  url: URL;
  expectedStatus: number;
  timeoutMs: number;
  retries: number;
  sleep: (ms: number) => Promise<void>;
  backoffMs?: number;
  log?: (m: string) => void;
}): Promise<{ check: Check; attempts: HttpAttempt[] }> {
  const attempts: HttpAttempt[] = [];
  const base = opts.backoffMs ?? 500;
  for (let i = 0; i <= opts.retries; i++) {
    const a = await attempt(opts.url, opts.timeoutMs);
    attempts.push(a);
    if (a.status === opts.expectedStatus) break;
    if (i < opts.retries) {
      const wait = Math.min(base * 2 ** i, 10_000);
      opts.log?.(
        `health endpoint: ${describe(a)}; retry ${i + 1}/${opts.retries} in ${wait} ms`,
      );
      await opts.sleep(wait);
    }
  }
  const last = attempts[attempts.length - 1] ?? { latencyMs: 0 };
  const ok = last.status === opts.expectedStatus;
  const tries = `${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`;
  return {
    attempts,
    check: {
      name: 'http',
      status: ok ? 'ok' : 'failed',
      observed: ok
        ? `${last.status} in ${last.latencyMs} ms`
        : `${describe(last)} after ${tries}`,
      threshold: `HTTP ${opts.expectedStatus} within ${opts.timeoutMs} ms`,
      detail: ok
        ? undefined
        : `${opts.url.origin}${opts.url.pathname}: ${describe(last)}${last.firstLine ? `; body: ${last.firstLine}` : ''}`,
    },
  };
}

function describe(a: HttpAttempt): string {
  return a.status !== undefined
    ? `HTTP ${a.status} in ${a.latencyMs} ms`
    : `${a.error ?? 'no answer'} after ${a.latencyMs} ms`;
}

async function attempt(url: URL, timeoutMs: number): Promise<HttpAttempt> {
  const start = performance.now();
  const ms = () => Math.round(performance.now() - start);
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    const body = await res.text();
    const firstLine = body.split('\n', 1)[0]?.slice(0, 200);
    return { status: res.status, latencyMs: ms(), firstLine };
  } catch (e) {
    const err = e as {
      name?: string;
      cause?: { code?: string; message?: string };
      message?: string;
    };
    const why =
      err.name === 'TimeoutError' || err.name === 'AbortError'
        ? `timed out after ${timeoutMs} ms`
        : (err.cause?.code ??
          err.cause?.message ??
          err.message ??
          'request failed');
    return { latencyMs: ms(), error: why };
  }
}
