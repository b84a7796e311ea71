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

async function get(
  t: PrometheusTarget,
  path: string,
  params: Record<string, string>,
): Promise<ApiAnswer['data']> {
  const u = new URL(path, t.url.toString().replace(/\/*$/, '/'));
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.bearerToken) headers['authorization'] = `Bearer ${t.bearerToken}`;
  else if (t.basicAuth)
    headers['authorization'] =
      `Basic ${Buffer.from(`${t.basicAuth.username}:${t.basicAuth.password}`).toString('base64')}`;
  const sleep = t.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let last = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await sleep(500 * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await fetch(u, {
        headers,
        signal: AbortSignal.timeout(t.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const err = e as {
        name?: string;
        cause?: { code?: string; message?: string };
      };
      last =
        err.name === 'TimeoutError'
          ? 'timed out'
          : (err.cause?.code ?? err.cause?.message ?? 'connection failed');
      continue;
    }
    const body = (await res.json().catch(() => undefined)) as
      ApiAnswer | undefined;
    if (res.ok && body?.status === 'success') return body.data;
    last = `HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}`;
    if (res.status !== 429 && res.status < 500) break;
  }
  throw new Error(`Prometheus at ${t.url.origin}: ${path}: ${last}`);
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
    throw new Error(
      `Prometheus answered ${data?.resultType ?? 'nothing'}, not a matrix, for ${query}`,
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
    throw new Error(
      `Prometheus answered ${data?.resultType ?? 'nothing'}, not a vector, for ${query}`,
    );
  return (
    data.result as {
      metric: Record<string, string>;
      value: [number, unknown];
    }[]
  ).map((s) => ({ metric: s.metric, value: toNumber(s.value[1]) }));
}
