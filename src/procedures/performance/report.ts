import { downsample, flat, renderChart } from '../../report/chart.js';
import { table } from '../../report/markdown.js';
import type { QueryRange } from '../../prometheus/series.js';
import type { Comparison, CompareRules } from './compare.js';

/** Charts drawn at most (the table lists every series). */
export const MAX_CHARTS = 12;

/** A number for a table: 4 significant digits, '—' when there is none. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : v > 0 ? '+∞' : '−∞';
  return String(Number(v.toPrecision(4)));
}

/** A change as a signed percentage towards worse: "+25.0% worse", "-3.1% (better)". */
export function changeText(c: Comparison): string {
  if (Number.isNaN(c.change)) return '—';
  if (!Number.isFinite(c.change))
    return c.change > 0 ? 'worse (from 0)' : 'better (from 0)';
  const pct = (c.change * 100).toFixed(1);
  return c.change > 0
    ? `+${pct}% worse`
    : c.change < 0
      ? `${(-c.change * 100).toFixed(1)}% better`
      : '0.0%';
}

/** The verdict of one comparison in words. */
export function verdict(c: Comparison): string {
  if (c.regression === undefined) return 'no verdict';
  return c.regression ? 'regression' : 'no regression';
}

/** Who's who of a comparison: the query name, and the series' labels when there are several. */
export function seriesName(c: Comparison): string {
  return c.series ? `${c.query} ${c.series}` : c.query;
}

/** The comparison table: one row per series. */
export function comparisonTable(cs: Comparison[], rules: CompareRules): string {
  return table(
    [
      'Query',
      'Series',
      'Baseline mean',
      'Recent mean',
      'Change',
      'Threshold',
      'Samples (baseline / recent)',
      'Verdict',
    ],
    cs.map((c) => [
      c.query,
      c.series || '(one series)',
      num(c.baselineMean),
      num(c.recentMean),
      changeText(c),
      `${rules.threshold}% (${rules.direction})`,
      `${c.baselineSamples} / ${c.recentSamples}`,
      verdict(c),
    ]),
  );
}

/** The chart of one series: its values, the baseline mean and the threshold. */
export function comparisonChart(
  c: Comparison,
  r: QueryRange,
  rules: CompareRules,
): string {
  const pts = c.quality?.points ?? [];
  if (pts.length === 0 || !Number.isFinite(c.baselineMean)) return '';
  const from = r.start - r.step;
  const values = downsample(pts, from, r.end);
  const n = values.length;
  const sign = rules.direction === 'higher-is-worse' ? 1 : -1;
  const limit =
    c.baselineMean + sign * Math.abs(c.baselineMean) * (rules.threshold / 100);
  const days = (r.end - from) / 86_400;
  return renderChart({
    title: seriesName(c),
    xLabel: `days before ${new Date(r.end * 1000).toISOString().replace(/:\d\d\.\d+Z$/, 'Z')}`,
    x: [-days, 0],
    yLabel: c.query,
    lines: [
      { label: `${seriesName(c)} (bucket means)`, values },
      {
        label: `baseline mean ${num(c.baselineMean)}`,
        values: flat(c.baselineMean, n),
      },
      {
        label: `regression threshold ${num(limit)} (${rules.threshold}% ${sign > 0 ? 'above' : 'below'} the baseline mean)`,
        values: flat(limit, n),
      },
    ],
  });
}

/** Every chart, up to MAX_CHARTS, each under a heading. */
export function chartsSection(
  cs: Comparison[],
  r: QueryRange,
  rules: CompareRules,
): string {
  const drawn = cs
    .map((c) => ({ c, chart: comparisonChart(c, r, rules) }))
    .filter((x) => x.chart !== '');
  if (drawn.length === 0) return '';
  const shown = drawn.slice(0, MAX_CHARTS);
  const more =
    drawn.length > shown.length
      ? `\n\n${drawn.length - shown.length} more series not charted (every one is in the table).`
      : '';
  return (
    shown
      .map((x) => `#### ${seriesName(x.c)}: ${verdict(x.c)}\n\n${x.chart}`)
      .join('\n\n') + more
  );
}
