// The weekly performance review against a real Prometheus loaded with a week
// of history (promtool tsdb create-blocks-from openmetrics): the numbers it
// reports equal the ones computed here from the same generators on its grid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from '../../../src/procedures/performance/procedure.js';
import { openMetrics } from '../../helpers/openmetrics.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import {
  startPrometheus,
  startPushgateway,
  type PrometheusServer,
  type Pushgateway,
} from '../../services/index.js';
import {
  expectedMeans,
  gapAt,
  level,
  NODE_TOTAL,
  nodeAvailable,
  seriesAt,
  weekOfHistory,
} from './history.js';

const RECENT = 86_400;
let prom: PrometheusServer;
let gw: Pushgateway;
let cut: number;

beforeAll(async () => {
  const h = weekOfHistory(Date.now() / 1000, RECENT);
  cut = h.cut;
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
  query: string;
  series: string;
  baselineMean: number | null;
  recentMean: number | null;
  change: number | null;
  regression: boolean | null;
}

function review(inputs: Record<string, string>) {
  return runProcedure(performance, {
    'prometheus-url': prom.url,
    'cluster-resources': 'false',
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

describe('performance against a week of history', () => {
  it("flags the runbook query's 25% regression, with the means computed here, and fails the step", async () => {
    const r = await review({});
    const g = grid(r);
    expect(g.step).toBe(60);
    expect(g.windowEnd - g.windowStart).toBe(7 * 86_400);
    const want = expectedMeans(
      seriesAt(cut)['pqc:scan_duration_p95_5m'],
      g,
      RECENT,
    );
    const [row] = JSON.parse(r.outputs['comparisons']) as Row[];
    expect(row.baselineMean).toBeCloseTo(want.baseline, 9);
    expect(row.recentMean).toBeCloseTo(want.recent, 9);
    expect(row.change).toBeCloseTo(
      (want.recent - want.baseline) / want.baseline,
      9,
    );
    expect(row.change).toBeGreaterThan(0.2);
    expect(r.outputs['regression']).toBe('true');
    expect(r.result.status).toBe('failed');
    expect(r.failure).toMatch(
      /^performance: regression: pqc:scan_duration_p95_5m: recent 1\.\d+ vs baseline 1\.\d+: \+2\d\.\d% worse$/,
    );
    // The report shows those numbers, a chart with its baseline and threshold lines.
    expect(r.markdown).toContain(
      `| ${String(Number(want.baseline.toPrecision(4)))} | ${String(Number(want.recent.toPrecision(4)))} |`,
    );
    expect(r.markdown).toContain('```mermaid\nxychart-beta');
    const chart = /```mermaid\n([\s\S]*?)```/.exec(r.markdown)![1];
    const lines = chart
      .split('\n')
      .filter((l) => l.trim().startsWith('line ['));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.split(',').length).toBeLessThanOrEqual(100);
    expect(lines[1]).toContain(String(Number(want.baseline.toPrecision(4))));
    expect(lines[2]).toContain(
      String(Number((want.baseline * 1.2).toPrecision(4))),
    );
    expect(r.result.followUps[0]).toMatch(
      /^Performance regression in pqc:scan_duration_p95_5m: \+2\d\.\d% worse/,
    );
  });

  it('does not flag 15%, and with fail-on-regression false a regression only warns', async () => {
    const r = await review({
      query: 'pqc_test_scan_15\nrunbook: pqc:scan_duration_p95_5m',
      'fail-on-regression': 'false',
    });
    const rows = JSON.parse(r.outputs['comparisons']) as Row[];
    expect(rows.map((x) => [x.query, x.regression])).toEqual([
      ['pqc_test_scan_15', false],
      ['runbook', true],
    ]);
    const want = expectedMeans(
      seriesAt(cut)['pqc_test_scan_15'],
      grid(r),
      RECENT,
    );
    expect(rows[0].recentMean).toBeCloseTo(want.recent, 9);
    expect(rows[0].change).toBeGreaterThan(0.1);
    expect(r.outputs['regression']).toBe('true');
    expect(r.failure).toBeUndefined();
    expect(r.result.status).toBe('warning');
    expect(r.result.checks.map((c) => [c.name, c.status])).toEqual([
      ['regression: pqc_test_scan_15', 'ok'],
      ['regression: runbook', 'warning'],
    ]);
  });

  it('lower-is-worse flags a 30% drop in throughput', async () => {
    const r = await review({
      query: 'pqc_test_throughput',
      direction: 'lower-is-worse',
    });
    const [row] = JSON.parse(r.outputs['comparisons']) as Row[];
    const want = expectedMeans(
      seriesAt(cut)['pqc_test_throughput'],
      grid(r),
      RECENT,
    );
    expect(row.change).toBeCloseTo(
      (want.baseline - want.recent) / want.baseline,
      9,
    );
    expect(row.regression).toBe(true);
    expect(r.markdown).toContain('(20% below the baseline mean)');
  });

  it('leaves NaN, +Inf and gaps out of the means and says so', async () => {
    const r = await review({
      query: 'pqc_test_nan\npqc_test_gappy',
      threshold: '50%',
    });
    const rows = JSON.parse(r.outputs['comparisons']) as Row[];
    const g = grid(r);
    const nan = expectedMeans(seriesAt(cut)['pqc_test_nan'], g, RECENT);
    expect(rows[0].baselineMean).toBeCloseTo(nan.baseline, 9);
    expect(rows[0].recentMean).toBeCloseTo(nan.recent, 9);
    const gappy = expectedMeans(level(1, 1.1, cut), g, RECENT, gapAt(cut));
    expect(rows[1].baselineMean).toBeCloseTo(gappy.baseline, 9);
    const [nanCheck, gapCheck] = r.result.checks;
    expect(nanCheck).toMatchObject({ status: 'warning' });
    expect(nanCheck.detail).toMatch(
      /^\d+ NaN sample\(s\) left out; \d+ \+Inf sample\(s\) left out/,
    );
    expect(gapCheck).toMatchObject({ status: 'warning' });
    // 360 minutes without samples; the first 5 still see the last one (lookback).
    expect(gappy.empty).toBe(355);
    expect(gapCheck.detail).toBe(
      '355 of 10080 steps without a sample (longest gap 5h 55m)',
    );
    expect(r.outputs['regression']).toBe('false');
    expect(r.failure).toBeUndefined();
  });

  it('an empty series, or a window of NaN only, is no verdict and fails: never a quiet "no regression"', async () => {
    const r = await review({ query: 'absent_metric_xyz\npqc_test_nan_recent' });
    expect(r.result.checks.map((c) => [c.name, c.status, c.observed])).toEqual([
      [
        'regression: absent_metric_xyz',
        'failed',
        'the query returned no series (empty result): cannot compare',
      ],
      [
        'regression: pqc_test_nan_recent',
        'failed',
        'no numeric sample in the recent window: cannot compare',
      ],
    ]);
    expect(r.outputs['regression']).toBe('false');
    expect(JSON.parse(r.outputs['comparisons'])[0].regression).toBeNull();
    expect(r.result.summary).toMatch(
      /^No verdict for absent_metric_xyz, pqc_test_nan_recent: /,
    );
    expect(r.failure).toBe(
      'performance: regression: absent_metric_xyz: the query returned no series (empty result): cannot compare',
    );
  });

  it('shows node and pod memory over the window from Prometheus, mean and peak as computed here', async () => {
    const r = await review({ query: 'pqc_test_scan_15' });
    const g = grid(r);
    const used: number[] = [];
    for (let t = g.windowStart + g.step; t <= g.windowEnd; t += g.step)
      used.push(100 * (1 - nodeAvailable(t) / NODE_TOTAL));
    const mean = used.reduce((a, x) => a + x, 0) / used.length;
    expect(r.markdown).toContain(
      `| {instance="node-1:9100"} | ${mean.toFixed(1)}% | ${Math.max(...used).toFixed(1)}% | ${used.length} |`,
    );
    expect(r.markdown).toContain(
      `| {pod="pqc-audit-0"} | 200Mi | 200Mi | ${used.length} |`,
    );
    // The two without data (no CPU counters here) are named, not a failure.
    expect(r.markdown).toMatch(
      /Not available from Prometheus:\n\n- Node CPU utilisation: no data[^\n]*\n- Pod CPU \(cores\): no data/,
    );
    expect(r.failure).toBeUndefined();
  });

  it('pushes the regression, each series and the run to the Pushgateway', async () => {
    const r = await review({
      query: 'pqc:scan_duration_p95_5m\npqc_test_scan_15',
      'pushgateway-url': gw.url,
    });
    expect(r.result.checks.at(-1)).toMatchObject({
      name: 'metrics',
      status: 'ok',
    });
    expect(
      await gw.sample('pqc_performance_regression', {
        job: 'pqc-ops-performance',
      }),
    ).toBe(1);
    expect(await gw.sample('pqc_performance_success')).toBe(1);
    const rows = JSON.parse(r.outputs['comparisons']) as Row[];
    expect(
      await gw.sample('pqc_performance_change_ratio', {
        query: 'pqc_test_scan_15',
      }),
    ).toBeCloseTo(rows[1].change!, 9);
    const last = await gw.sample('pqc_performance_last_run_timestamp_seconds');
    expect(Math.abs(last! - Date.now() / 1000)).toBeLessThan(120);
    // A run that cannot compare sets success 0 and keeps the last good figures.
    await review({ query: 'absent_metric_xyz', 'pushgateway-url': gw.url });
    expect(await gw.sample('pqc_performance_success')).toBe(0);
    expect(await gw.sample('pqc_performance_last_run_timestamp_seconds')).toBe(
      last,
    );
  });
});

describe('performance with the cluster (kube-sim)', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ manifests: ['test/kube-sim/fixtures'] });
    await sim.settle();
  });
  afterAll(async () => sim?.close());

  it('shows nodes (usage and allocated resources against allocatable) and the application pods', async () => {
    sim.setNodeMetrics('sim-node-1', '1500m', '4Gi');
    const r = await review({
      query: 'pqc_test_scan_15',
      'cluster-resources': 'true',
      kubeconfig: sim.kubeconfigPath,
    });
    expect(r.failure).toBeUndefined();
    expect(r.result.checks[1]).toMatchObject({
      name: 'nodes',
      status: 'ok',
      observed: '1 node(s); highest share of allocatable 38%',
    });
    // 3 pqc-audit pods (250m/256Mi requests, 1/512Mi limits) and postgres; limits may pass 100%, as kubectl shows.
    expect(r.markdown).toContain(
      '| sim-node-1 | 1.5 (38%) | 4Gi (26%) | 1.25 (31%) | 5 (125%) | 1.8Gi (11%) | 3.5Gi (23%) | 4 |',
    );
    expect(r.markdown).toMatch(
      /\| pqc-audit-[a-z0-9]+-[a-z0-9]+ \| sim-node-1 \| \d+m \| 250m \| 1 \| \d+% of limit \|/,
    );
    expect(r.markdown).toContain('Not available from Prometheus:');
  });
});
