// What performance says when Prometheus is not there, answers 5xx or 429,
// or wants credentials: one clear line, retries where they help, secrets
// masked. A scripted HTTP endpoint plays Prometheus's API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from '../../../src/procedures/performance/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';
import {
  freePort,
  startHttpEndpoint,
  type HttpEndpoint,
} from '../../services/index.js';

let prom: HttpEndpoint;
beforeAll(async () => {
  prom = await startHttpEndpoint();
});
afterAll(async () => prom?.close());

const now = Math.floor(Date.now() / 1000 / 60) * 60;
/** A matrix answer with one series: 1.0 for six days, 1.1 for the last one. */
function matrix(): unknown {
  const values: [number, string][] = [];
  for (let t = now - 7 * 86_400 + 3600; t <= now; t += 3600)
    values.push([t, t > now - 86_400 ? '1.1' : '1']);
  return {
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: {}, values }] },
  };
}

/** Range requests for one expression (the window section asks for others). */
function rangeRequests(expr: string) {
  return prom
    .requestsTo('/api/v1/query_range')
    .filter(
      (x) => new URL(x.path, prom.url).searchParams.get('query') === expr,
    );
}

function review(inputs: Record<string, string>) {
  return runProcedure(performance, {
    'prometheus-url': prom.url,
    'cluster-resources': 'false',
    ...inputs,
  });
}

describe('performance when Prometheus misbehaves', () => {
  it('down: every query fails at once with the reason, after one set of retries', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const r = await review({
      'prometheus-url': url,
      query: 'a: pqc:scan_duration_p95_5m\nb: up',
    });
    expect(r.result.status).toBe('failed');
    expect(r.result.checks.map((c) => [c.name, c.status, c.observed])).toEqual([
      [
        'regression: a',
        'failed',
        `Prometheus at ${url}: api/v1/query_range: ECONNREFUSED`,
      ],
      [
        'regression: b',
        'failed',
        `Prometheus at ${url}: api/v1/query_range: ECONNREFUSED`,
      ],
    ]);
    expect(r.failure).toBe(
      `performance: regression: a: Prometheus at ${url}: api/v1/query_range: ECONNREFUSED`,
    );
    expect(r.outputs['regression']).toBe('false');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a 5xx is retried; one that lasts fails in one line', async () => {
    prom.respond('/api/v1/query_range', {
      status: 503,
      body: {
        status: 'error',
        errorType: 'unavailable',
        error: 'TSDB not ready',
      },
    });
    prom.requests.length = 0;
    const r = await review({});
    expect(rangeRequests('pqc:scan_duration_p95_5m')).toHaveLength(4);
    // The server is down: the window section does not wait through retries again.
    expect(prom.requestsTo('/api/v1/query_range')).toHaveLength(4);
    expect(r.failure).toBe(
      `performance: regression: pqc:scan_duration_p95_5m: Prometheus at ${prom.url}: api/v1/query_range: HTTP 503: TSDB not ready`,
    );
  });

  it('a 5xx then an answer, and a 429 with Retry-After, end in a verdict', async () => {
    prom.respond('/api/v1/query_range', [
      { status: 502, body: 'bad gateway' },
      { status: 429, body: 'slow down', headers: { 'retry-after': '1' } },
      { status: 200, body: matrix() },
    ]);
    prom.requests.length = 0;
    const r = await review({});
    const times = rangeRequests('pqc:scan_duration_p95_5m').map((x) => x.time);
    expect(times).toHaveLength(3);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(950);
    expect(r.failure).toBeUndefined();
    expect(r.outputs['regression']).toBe('false');
    expect(r.result.checks[0].observed).toBe(
      'recent 1.1 vs baseline 1: +10.0% worse',
    );
    // Hourly samples on a one-minute grid are gaps, and the report says so.
    expect(r.result.checks[0].status).toBe('warning');
    expect(r.result.checks[0].detail).toMatch(
      /^\d+ of 10080 steps without a sample/,
    );
  });

  it('a 400 (bad PromQL) fails that query alone, without retries', async () => {
    prom.respond('/api/v1/query_range', {
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: 'parse error: unexpected end of input',
      },
    });
    prom.requests.length = 0;
    const r = await review({ query: 'bad: sum(\ngood: up' });
    expect(rangeRequests('sum(')).toHaveLength(1);
    expect(rangeRequests('up')).toHaveLength(1);
    expect(r.result.checks[0].observed).toBe(
      `Prometheus at ${prom.url}: api/v1/query_range: HTTP 400: parse error: unexpected end of input`,
    );
  });

  it('sends the bearer token or basic auth, and masks them', async () => {
    prom.respond('/api/v1/query_range', { status: 200, body: matrix() });
    prom.requests.length = 0;
    const token = 'prom-token-Zq9-never-in-logs';
    const t = await review({ 'prometheus-token': token });
    expect(prom.requests[0].headers['authorization']).toBe(`Bearer ${token}`);
    expect(t.masked).toContain(token);
    expect(JSON.stringify(t.result) + t.markdown).not.toContain(token);
    prom.requests.length = 0;
    const b = await review({
      'prometheus-username': 'ops',
      'prometheus-password': 'pw-Zq9-never-in-logs',
    });
    expect(prom.requests[0].headers['authorization']).toBe(
      `Basic ${Buffer.from('ops:pw-Zq9-never-in-logs').toString('base64')}`,
    );
    expect(b.masked).toContain('pw-Zq9-never-in-logs');
  });

  it('asks for a grid under the 11,000-point limit, aligned to its step', async () => {
    prom.respond('/api/v1/query_range', { status: 200, body: matrix() });
    prom.requests.length = 0;
    await review({ recent: '7d', baseline: '23d' });
    const q = new URL(prom.requests[0].path, prom.url).searchParams;
    const [start, end, step] = ['start', 'end', 'step'].map((k) =>
      Number(q.get(k)),
    );
    expect(step).toBe(300);
    expect(end % step).toBe(0);
    expect((end - start) / step + 1).toBe(8640);
  });
});
