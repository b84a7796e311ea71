// The monthly capacity review against a real Prometheus loaded with a week
// of history: a linear growth that reaches 80% in 40 days is forecast within
// a day, the fit equals the one computed here, and what falls inside the
// horizon becomes a next item. df through exec against kube-sim when
// Prometheus has no volume metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacity } from '../../../src/procedures/capacity/procedure.js';
import { openMetrics } from '../../helpers/openmetrics.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import {
  freePort,
  startHttpEndpoint,
  startPrometheus,
  startPushgateway,
  type HttpEndpoint,
  type PrometheusServer,
  type Pushgateway,
} from '../../services/index.js';
import { expectedFit, generators, weekOfCapacity } from './history.js';

let prom: PrometheusServer;
let gw: Pushgateway;
let t0: number;

beforeAll(async () => {
  const h = weekOfCapacity(Date.now() / 1000);
  t0 = h.t0;
  [prom, gw] = await Promise.all([
    startPrometheus({ history: openMetrics(h.series) }),
    startPushgateway(),
  ]);
});
afterAll(async () => {
  await prom?.stop();
  await gw?.stop();
});

interface Row {
  resource: string;
  series: string;
  now: number | null;
  perDay: number | null;
  r2: number | null;
  daysToWarn: number | null;
  daysToFull: number | null;
}

function review(inputs: Record<string, string>) {
  return runProcedure(capacity, {
    'prometheus-url': prom.url,
    window: '7d',
    ...inputs,
  });
}

function grid(r: Awaited<ReturnType<typeof review>>) {
  const m = r.result.metrics;
  return {
    windowStart: m['windowStart'],
    windowEnd: m['windowEnd'],
    step: m['step'],
  };
}

describe('capacity against a week of history', () => {
  it('forecasts 80% memory in 40 days (within a day), with the fit computed here, and volumes and network', async () => {
    const r = await review({ 'pushgateway-url': gw.url });
    const rows = JSON.parse(r.outputs['forecasts']) as Row[];
    expect(rows.map((x) => [x.resource, x.series])).toEqual([
      ['memory', ''],
      [
        'volume',
        '{namespace="pqc-audit",persistentvolumeclaim="postgres-data"}',
      ],
      ['volume', '{namespace="pqc-audit",persistentvolumeclaim="pqc-data"}'],
      ['network transmit', ''],
    ]);
    const g = generators(t0);
    const mem = expectedFit(g.memory, grid(r));
    expect(rows[0].now).toBeCloseTo(mem.intercept, 6);
    expect(rows[0].perDay).toBeCloseTo(mem.slope, 6);
    expect(rows[0].daysToWarn).toBeCloseTo((80 - mem.intercept) / mem.slope, 6);
    expect(Math.abs(rows[0].daysToWarn! - 40)).toBeLessThan(1);
    expect(Math.abs(rows[0].daysToFull! - 80)).toBeLessThan(1);
    expect(rows[0].r2).toBeGreaterThan(0.9);
    const data = expectedFit(
      (t) => (100 * g.dataUsed(t)) / 2 ** 30 / 10,
      grid(r),
    );
    expect(rows[2].daysToWarn).toBeCloseTo(
      (80 - data.intercept) / data.slope,
      4,
    );
    expect(Math.abs(rows[2].daysToWarn! - 30)).toBeLessThan(1);
    expect(rows[1]).toMatchObject({ daysToWarn: null, daysToFull: null });
    expect(rows[1].perDay).toBeCloseTo(0, 9);
    // rate() of the counter: 2e4 bytes/s more each day.
    expect(rows[3].perDay! / 2e4).toBeCloseTo(1, 2);
    expect(rows[3].daysToWarn).toBeNull();
    expect(r.outputs['days-to-warn']).toBe(rows[2].daysToWarn!.toFixed(1));
    // Both growing resources are inside the 90-day horizon: warnings and next items.
    expect(r.result.checks.map((c) => [c.name, c.status])).toEqual([
      ['memory', 'warning'],
      [
        'volume {namespace="pqc-audit",persistentvolumeclaim="postgres-data"}',
        'ok',
      ],
      [
        'volume {namespace="pqc-audit",persistentvolumeclaim="pqc-data"}',
        'warning',
      ],
      ['network transmit', 'ok'],
      ['metrics', 'ok'],
    ]);
    expect(r.result.checks[0].observed).toMatch(
      /^6\d\.\d% now, \+0\.50 points\/day: 80% in (39|40)\.\d days \(\d{4}-\d\d-\d\d\), full in (79|80)\.\d days; R² 0\.9\d\d \(good\), residuals ±0\.2\d points, 10080 samples$/,
    );
    expect(r.result.followUps).toHaveLength(2);
    expect(r.result.followUps[0]).toMatch(
      /^Capacity: memory is forecast to reach 80% in (39|40)\.\d days \(\d{4}-\d\d-\d\d; R² 0\.9\d\d \(good\)/,
    );
    expect(r.failure).toBeUndefined();
    expect(r.result.status).toBe('warning');
    // Charts: samples, the fitted line and warn-at; the rate has no warn-at line.
    const charts = [...r.markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map(
      (m) => m[1],
    );
    expect(charts).toHaveLength(4);
    expect(
      charts[0].split('\n').filter((l) => l.trim().startsWith('line [')),
    ).toHaveLength(3);
    expect(
      charts[3].split('\n').filter((l) => l.trim().startsWith('line [')),
    ).toHaveLength(2);
    expect(
      await gw.sample('pqc_capacity_days_until_warn', { resource: 'memory' }),
    ).toBeCloseTo(rows[0].daysToWarn!, 6);
    expect(await gw.sample('pqc_capacity_success')).toBe(1);
  });

  it('a longer horizon leaves nothing inside it with a short one', async () => {
    const r = await review({ horizon: '20d', 'warn-at': '90%' });
    expect(r.result.followUps).toEqual([]);
    expect(r.result.summary).toBe('Nothing reaches 90% within 20 days.');
    expect(r.result.status).toBe('ok');
  });

  it('an empty series and a series of NaN are warnings that say why, never a forecast', async () => {
    const r = await review({
      'memory-query': 'absent_metric_xyz',
      'volume-query': 'pqc_test_nan_only',
      volumes: 'prometheus',
    });
    expect(
      r.result.checks.slice(0, 2).map((c) => [c.name, c.status, c.observed]),
    ).toEqual([
      [
        'memory',
        'warning',
        'the query returned no series (empty result): no forecast',
      ],
      [
        'volume',
        'warning',
        '0 numeric sample(s): too few to fit a line, no forecast',
      ],
    ]);
    expect(r.result.checks[1].detail).toBe('10080 NaN sample(s) left out');
    expect(r.failure).toBeUndefined();
  });
});

describe('capacity when Prometheus fails', () => {
  let bad: HttpEndpoint;
  beforeAll(async () => {
    bad = await startHttpEndpoint();
    bad.respond('/api/v1/query_range', {
      status: 500,
      body: {
        status: 'error',
        errorType: 'internal',
        error: 'query timed out in expression evaluation',
      },
    });
  });
  afterAll(async () => bad?.close());

  it('a 5xx that lasts fails the review in one line, and pushes success 0', async () => {
    const r = await runProcedure(capacity, {
      'prometheus-url': bad.url,
      volumes: 'none',
      'pushgateway-url': gw.url,
    });
    expect(r.failure).toBe(
      `capacity: memory: Prometheus at ${bad.url}: api/v1/query_range: HTTP 500: query timed out in expression evaluation`,
    );
    expect(r.result.checks.map((c) => c.status)).toEqual([
      'failed',
      'failed',
      'ok',
    ]);
    expect(await gw.sample('pqc_capacity_success')).toBe(0);
  });

  it('down: every query fails at once with the reason, no forecast, success 0', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const r = await runProcedure(capacity, {
      'prometheus-url': url,
      volumes: 'prometheus',
      'pushgateway-url': gw.url,
    });
    const refused = `Prometheus at ${url}: api/v1/query_range: ECONNREFUSED`;
    expect(r.result.checks.map((c) => [c.name, c.status, c.observed])).toEqual([
      ['memory', 'failed', refused],
      ['volume', 'failed', refused],
      ['network transmit', 'failed', refused],
      ['metrics', 'ok', expect.stringContaining('pqc_capacity_success 0')],
    ]);
    expect(r.failure).toBe(`capacity: memory: ${refused}`);
    expect(r.outputs['days-to-warn']).toBe('');
    expect(r.result.status).toBe('failed');
    expect(await gw.sample('pqc_capacity_success')).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('capacity with df through exec (kube-sim)', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ manifests: ['test/kube-sim/fixtures'] });
    await sim.settle();
  });
  afterAll(async () => sim?.close());

  it('auto falls back to df in the application and database pods when Prometheus has no volume metrics', async () => {
    const r = await review({
      kubeconfig: sim.kubeconfigPath,
      'volume-query': 'absent_metric_xyz',
    });
    const check = r.result.checks.find((c) => c.name === 'volumes (df)')!;
    expect(check.observed).toMatch(
      /^3 filesystem\(s\), fullest \d+\.\d% \(.+\); a reading, no trend$/,
    );
    expect(r.markdown).toMatch(
      /\| pqc-audit-[a-z0-9-]+ \| \/var\/log\/pqc-audit \| .+ \| \d+(\.\d)?[KMGT]i \|/,
    );
    expect(r.markdown).toContain('| /var/lib/postgresql/data |');
    expect(r.markdown).toContain('| /backup |');
    expect(r.result.checks.map((c) => c.name)).not.toContain('volume');
  });
});
