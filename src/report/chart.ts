/**
 * Mermaid `xychart-beta` line charts, which GitHub renders in job summaries,
 * comments and Markdown files. A chart keeps at most ~100 points per line
 * (bucket means), so it stays readable and small; flat lines (a baseline
 * mean, a threshold) are drawn as lines of their own.
 */

/** One line of a chart: its values over the x range, evenly spaced. */
export interface ChartLine {
  /** What the line is, for the legend under the chart (xychart has none). */
  label: string;
  values: number[];
}

/** A line chart over a numeric x axis. */
export interface Chart {
  title: string;
  xLabel: string;
  /** The x axis range: the first and last value of every line. */
  x: [number, number];
  yLabel: string;
  lines: ChartLine[];
}

/** Most points drawn per line. */
export const MAX_CHART_POINTS = 100;

/**
 * At most `max` points: the series cut into equal time buckets over
 * [from, to], each drawn as the mean of its samples. An empty bucket takes
 * the value of the one before it (the first non-empty one at the start), so
 * the line stays continuous; the report says where the gaps were.
 */
export function downsample(
  points: readonly (readonly [number, number])[],
  from: number,
  to: number,
  max = MAX_CHART_POINTS,
): number[] {
  if (points.length === 0) return [];
  const span = Math.max(to - from, 1);
  const n = Math.max(1, Math.min(max, points.length));
  const sums = new Array<number>(n).fill(0);
  const counts = new Array<number>(n).fill(0);
  for (const [t, v] of points) {
    const i = Math.min(n - 1, Math.max(0, Math.floor(((t - from) / span) * n)));
    sums[i] = (sums[i] ?? 0) + v;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const out: number[] = [];
  let last: number | undefined;
  for (let i = 0; i < n; i++) {
    const c = counts[i] ?? 0;
    if (c > 0) last = (sums[i] ?? 0) / c;
    out.push(last ?? NaN);
  }
  const first = out.find((v) => !Number.isNaN(v)) ?? 0;
  return out.map((v) => (Number.isNaN(v) ? first : v));
}

/** A number as Mermaid's parser takes it: plain decimal, 4 significant digits. */
export function chartNumber(v: number): string {
  if (!Number.isFinite(v) || Math.abs(v) < 1e-9) return '0';
  const r = Number(v.toPrecision(4));
  const s = String(r);
  return s.includes('e') ? r.toFixed(12).replace(/\.?0+$/, '') : s;
}

/** Text inside a quoted Mermaid string: no quotes, no line breaks. */
function quoted(s: string): string {
  // A quote ends the string, a backtick starts Markdown, %% starts a comment.
  const safe = s
    .replace(/["\\`]/g, "'")
    .replace(/%%+/g, '%')
    .replace(/[\r\n]+/g, ' ');
  return `"${safe.slice(0, 100)}"`;
}

/** The chart as a fenced Mermaid block, with a one-line legend under it. */
export function renderChart(c: Chart): string {
  const all = c.lines.flatMap((l) => l.values).filter(Number.isFinite);
  if (all.length === 0) return '';
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
  hi += pad;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title ${quoted(c.title)}`,
    `  x-axis ${quoted(c.xLabel)} ${chartNumber(c.x[0])} --> ${chartNumber(c.x[1])}`,
    `  y-axis ${quoted(c.yLabel)} ${chartNumber(lo)} --> ${chartNumber(hi)}`,
    ...c.lines.map((l) => `  line [${l.values.map(chartNumber).join(', ')}]`),
    '```',
    '',
    `<sub>Lines, in drawing order: ${c.lines.map((l, i) => `${i + 1}. ${l.label}`).join('; ')}.</sub>`,
  ];
  return lines.join('\n');
}

/** A flat line of `n` points at `value`. */
export function flat(value: number, n: number): number[] {
  return new Array<number>(n).fill(value);
}
