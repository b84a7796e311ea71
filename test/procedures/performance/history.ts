// The week of history the performance tests load into a real Prometheus,
// and the independent computation of what the review must report.
import { generate, type HistorySeries } from '../../helpers/openmetrics.js';

/** Samples every minute, up to ten minutes past now, so any run's grid lands on them. */
export const STEP = 60;
const DAY = 86_400;

/** A small deterministic ripple, so means are not trivially equal to levels. */
export function ripple(t: number): number {
  return 0.05 * Math.sin(t / 3600) + 0.02 * Math.cos(t / 517);
}

/** The value of a series at t: `base` in the baseline, `base * factor` in the last `recentSec` before `cut`. */
export function level(base: number, factor: number, cut: number) {
  return (t: number) => (t > cut ? base * factor : base) * (1 + ripple(t));
}

/** Series generators by metric name, given the cut between baseline and recent. */
export function seriesAt(cut: number): Record<string, (t: number) => number> {
  return {
    'pqc:scan_duration_p95_5m': level(1.2, 1.25, cut),
    pqc_test_scan_15: level(0.8, 1.15, cut),
    pqc_test_throughput: level(500, 0.7, cut),
    // NaN every 97th minute and +Inf every 211th, both windows.
    pqc_test_nan: (t) =>
      (t / STEP) % 97 === 0
        ? NaN
        : (t / STEP) % 211 === 0
          ? Infinity
          : level(2, 1.05, cut)(t),
    // Nothing but NaN in the recent window.
    pqc_test_nan_recent: (t) => (t > cut ? NaN : 3),
  };
}

/** The 6-hour gap of pqc_test_gappy, three days before the cut. */
export function gapAt(cut: number): (t: number) => boolean {
  return (t) => t > cut - 3 * DAY && t <= cut - 3 * DAY + 6 * 3600;
}

const GI = 2 ** 30;
/** A node of 8 GiB whose utilisation swings between 30% and 50% (node-exporter). */
export const NODE_TOTAL = 8 * GI;
export const nodeAvailable = (t: number): number =>
  NODE_TOTAL * (0.6 + 0.1 * Math.sin(t / 3600));
/** One application pod's working set (cAdvisor), flat at 200 MiB. */
export const POD_WORKING_SET = 200 * 2 ** 20;

/**
 * History for a week and ten minutes ahead, plus a series with a 6-hour gap,
 * and node memory and a pod's working set for the window section.
 */
export function weekOfHistory(
  now: number,
  recentSec: number,
): { series: HistorySeries[]; cut: number } {
  const end = Math.floor(now / STEP) * STEP + 10 * STEP;
  // The cut of a run started now; a later run's grid may be a minute on,
  // which expectedMeans() follows, since it evaluates the same generators.
  const cut = Math.floor(now / STEP) * STEP - recentSec;
  const span = 7 * DAY + 20 * STEP;
  const series: HistorySeries[] = Object.entries(seriesAt(cut)).map(
    ([name, f]) => ({ name, points: generate(end, span, STEP, f) }),
  );
  const node = { instance: 'node-1:9100' };
  series.push(
    {
      name: 'node_memory_MemTotal_bytes',
      labels: node,
      points: generate(end, span, STEP, () => NODE_TOTAL),
    },
    {
      name: 'node_memory_MemAvailable_bytes',
      labels: node,
      points: generate(end, span, STEP, nodeAvailable),
    },
    {
      name: 'container_memory_working_set_bytes',
      labels: { namespace: 'pqc-audit', pod: 'pqc-audit-0', container: 'app' },
      points: generate(end, span, STEP, () => POD_WORKING_SET),
    },
  );
  const gap = gapAt(cut);
  series.push({
    name: 'pqc_test_gappy',
    points: generate(end, span, STEP, level(1, 1.1, cut)).filter(
      ([t]) => !gap(t),
    ),
  });
  return { series, cut };
}

/** Prometheus's lookback: an evaluation takes the newest sample of the last 5 minutes. */
export const LOOKBACK = 300;

/**
 * The means a run must report, computed from the generators on its grid, as
 * Prometheus evaluates them: at each step the newest sample of the lookback
 * (samples in `missing` do not exist), NaN and ±Inf left out. Also counts
 * the steps with no sample at all.
 */
export function expectedMeans(
  f: (t: number) => number,
  grid: { windowStart: number; windowEnd: number; step: number },
  recentSec: number,
  missing: (t: number) => boolean = () => false,
): { baseline: number; recent: number; empty: number } {
  const cut = grid.windowEnd - recentSec;
  const b: number[] = [];
  const r: number[] = [];
  let empty = 0;
  for (
    let t = grid.windowStart + grid.step;
    t <= grid.windowEnd;
    t += grid.step
  ) {
    let ts = t;
    while (ts >= t - LOOKBACK && missing(ts)) ts -= STEP;
    if (ts < t - LOOKBACK) {
      empty++;
      continue;
    }
    const v = f(ts);
    if (Number.isFinite(v)) (t > cut ? r : b).push(v);
  }
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return { baseline: mean(b), recent: mean(r), empty };
}
