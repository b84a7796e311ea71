/**
 * A Prometheus HTTP API client: instant and range queries, bearer or basic
 * auth, retries on 429/5xx and dropped connections, and a step chosen so a
 * range never asks for more than the server's 11,000 points per series.
 */

/** How to reach and authenticate to Prometheus. */
export interface PrometheusTarget {
  url: URL;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Aborts a request in flight (a cancelled run). */
  signal?: AbortSignal;
  /** Attempts per request (first try included); default 4. */
  attempts?: number;
}

/** One series: its labels and its (unix seconds, value) points. */
export interface Series {
  metric: Record<string, string>;
  points: [number, number][];
}

/** The server's limit on points per series in a range query. */
export const MAX_POINTS = 11_000;

/** The smallest step (whole seconds, at least `minStep`) that keeps a range under the point limit. */
export function stepFor(
  startSec: number,
  endSec: number,
  minStepSec = 15,
): number {
  const span = Math.max(0, endSec - startSec);
  return Math.max(minStepSec, Math.ceil(span / (MAX_POINTS - 1)));
}

interface ApiAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

/** The Authorization header of a target, if it has credentials. */
function authorization(t: PrometheusTarget): string | undefined {
  if (t.bearerToken) return `Bearer ${t.bearerToken}`;
  if (t.basicAuth)
    return `Basic ${Buffer.from(`${t.basicAuth.username}:${t.basicAuth.password}`).toString('base64')}`;
  return undefined;
}

/** Longest wait a Retry-After header may impose between two attempts. */
const MAX_RETRY_AFTER_MS = 30_000;

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), capped. */
function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(h) - Date.now();
  return Number.isFinite(ms)
    ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS)
    : undefined;
}

/** Why a fetch threw, in a few words (ECONNREFUSED, timed out). */
function fetchFailure(e: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) return 'cancelled';
  const err = e as {
    name?: string;
    cause?: { code?: string; message?: string };
  };
  return err.name === 'TimeoutError'
    ? 'timed out'
    : (err.cause?.code ?? err.cause?.message ?? 'connection failed');
}

async function get(
  t: PrometheusTarget,
  path: string,
  params: Record<string, string>,
): Promise<ApiAnswer['data']> {
  const u = new URL(path, t.url.toString().replace(/\/*$/, '/'));
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authorization(t);
  if (auth) headers['authorization'] = auth;
  const sleep = t.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let last = '';
  let status: number | undefined;
  let wait = 0;
  for (let attempt = 0; attempt < (t.attempts ?? 4); attempt++) {
    if (attempt > 0) await sleep(wait || 500 * 2 ** (attempt - 1));
    wait = 0;
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(t.timeoutMs ?? 30_000);
      res = await fetch(u, {
        headers,
        signal: t.signal ? AbortSignal.any([timeout, t.signal]) : timeout,
      });
    } catch (e) {
      last = fetchFailure(e, t.signal);
      status = undefined;
      if (t.signal?.aborted) break;
      continue;
    }
    const body = (await res.json().catch(() => undefined)) as
      ApiAnswer | undefined;
    if (res.ok && body?.status === 'success') return body.data;
    status = res.status;
    last = `HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}`;
    if (res.ok) last += ': not a Prometheus API answer';
    if (res.status !== 429 && res.status < 500) break;
    wait = retryAfterMs(res.headers.get('retry-after')) ?? 0;
  }
  throw new PrometheusError(
    `Prometheus at ${t.url.origin}: ${path}: ${last}`,
    status,
  );
}

/** A query that could not be answered (server down, 5xx after retries, 4xx, bad answer). */
export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  constructor(
    message: string,
    /** HTTP status of the last attempt; undefined when no answer came. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** The server, not the query, is the problem: no answer, a 5xx or a 429 after every retry. */
  get serverDown(): boolean {
    return (
      this.status === undefined || this.status === 429 || this.status >= 500
    );
  }
}

function toNumber(v: unknown): number {
  // Prometheus encodes sample values as strings: "NaN", "+Inf", "-Inf", "1.5".
  return typeof v === 'string' ? Number(v.replace(/^\+Inf$/, 'Infinity')) : NaN;
}

/** `/api/v1/query_range` as series of numbers (NaN and ±Infinity kept for the caller to judge). */
export async function queryRange(
  t: PrometheusTarget,
  query: string,
  startSec: number,
  endSec: number,
  stepSec = stepFor(startSec, endSec),
): Promise<Series[]> {
  const data = await get(t, 'api/v1/query_range', {
    query,
    start: String(startSec),
    end: String(endSec),
    step: String(stepSec),
  });
  if (data?.resultType !== 'matrix')
    throw new PrometheusError(
      `Prometheus answered ${data?.resultType ?? 'nothing'}, not a matrix, for ${query}`,
      200,
    );
  return (
    data.result as {
      metric: Record<string, string>;
      values: [number, unknown][];
    }[]
  ).map((s) => ({
    metric: s.metric,
    points: s.values.map(([ts, v]) => [ts, toNumber(v)]),
  }));
}

/** `/api/v1/query` as one value per series. */
export async function queryInstant(
  t: PrometheusTarget,
  query: string,
  atSec?: number,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const data = await get(t, 'api/v1/query', {
    query,
    ...(atSec !== undefined ? { time: String(atSec) } : {}),
  });
  if (data?.resultType === 'scalar') {
    const [, v] = data.result as [number, unknown];
    return [{ metric: {}, value: toNumber(v) }];
  }
  if (data?.resultType !== 'vector')
    throw new PrometheusError(
      `Prometheus answered ${data?.resultType ?? 'nothing'}, not a vector, for ${query}`,
      200,
    );
  return (
    data.result as {
      metric: Record<string, string>;
      value: [number, unknown];
    }[]
  ).map((s) => ({ metric: s.metric, value: toNumber(s.value[1]) }));
}

/** What `/api/v1/status/buildinfo` says about the server. */
export interface BuildInfo {
  version: string;
  revision?: string;
  branch?: string;
  buildUser?: string;
  buildDate?: string;
  goVersion?: string;
}

/** `/api/v1/status/buildinfo`: the server's version and build (Prometheus 2.14 and later). */
export async function buildInfo(t: PrometheusTarget): Promise<BuildInfo> {
  const data = (await get(t, 'api/v1/status/buildinfo', {})) as unknown as
    Partial<BuildInfo> | undefined;
  if (typeof data?.version !== 'string' || data.version === '')
    throw new PrometheusError(
      `Prometheus at ${t.url.origin}: api/v1/status/buildinfo: no version in the answer`,
      200,
    );
  return data as BuildInfo;
}
