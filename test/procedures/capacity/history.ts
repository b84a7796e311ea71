// A week of capacity history for a real Prometheus: memory growing half a
// point a day (80% in 40 days), one volume a point a day (80% in 30 days),
// one flat, a network counter whose rate grows, and a series of NaN only.
import { generate, type HistorySeries } from '../../helpers/openmetrics.js';

export const STEP = 60;
const DAY = 86_400;
const GI = 2 ** 30;

/** The generators, given the end of a run's grid started now (`t0`). */
export function generators(t0: number): Record<string, (t: number) => number> {
  const d = (t: number) => (t - t0) / DAY;
  return {
    memory: (t) => 60 + 0.5 * d(t) + 0.3 * Math.sin(t / 5000),
    dataUsed: (t) =>
      10 * GI * (0.5 + 0.01 * d(t)) + 2 ** 20 * Math.cos(t / 777),
    pgUsed: () => 10 * GI * 0.3,
    rate: (t) => 1e6 + 2e4 * d(t),
  };
}

/** The history, a week and ten minutes ahead; `t0` is the grid end of a run started now. */
export function weekOfCapacity(now: number): {
  series: HistorySeries[];
  t0: number;
} {
  const t0 = Math.floor(now / STEP) * STEP;
  const g = generators(t0);
  const end = t0 + 10 * STEP;
  const span = 7 * DAY + 30 * STEP;
  const at = (f: (t: number) => number) => generate(end, span, STEP, f);
  const pvc = (name: string) => ({
    namespace: 'pqc-audit',
    persistentvolumeclaim: name,
  });
  let total = 0;
  const counter = at((t) => (total += g.rate(t) * STEP));
  return {
    t0,
    series: [
      { name: 'pqc:memory_utilization_percentage', points: at(g.memory) },
      {
        name: 'kubelet_volume_stats_used_bytes',
        labels: pvc('pqc-data'),
        points: at(g.dataUsed),
      },
      {
        name: 'kubelet_volume_stats_used_bytes',
        labels: pvc('postgres-data'),
        points: at(g.pgUsed),
      },
      {
        name: 'kubelet_volume_stats_capacity_bytes',
        labels: pvc('pqc-data'),
        points: at(() => 10 * GI),
      },
      {
        name: 'kubelet_volume_stats_capacity_bytes',
        labels: pvc('postgres-data'),
        points: at(() => 10 * GI),
      },
      {
        name: 'container_network_transmit_bytes_total',
        labels: {
          namespace: 'pqc-audit',
          pod: 'pqc-audit-0',
          interface: 'eth0',
        },
        points: counter,
      },
      { name: 'pqc_test_nan_only', points: at(() => NaN) },
    ],
  };
}

/** Ordinary least squares of v over the grid, x in days before its end, as the review must compute it. */
export function expectedFit(
  f: (t: number) => number,
  grid: { windowStart: number; windowEnd: number; step: number },
): { intercept: number; slope: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (
    let t = grid.windowStart + grid.step;
    t <= grid.windowEnd;
    t += grid.step
  ) {
    xs.push((t - grid.windowEnd) / DAY);
    ys.push(f(t));
  }
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
