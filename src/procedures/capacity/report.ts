import { formatBytes } from '../../kube/quantity.js';
import type { QueryRange } from '../../prometheus/series.js';
import { downsample, flat, renderChart } from '../../report/chart.js';
import { table } from '../../report/markdown.js';
import type { DfRow } from './df.js';
import type { Forecast } from './forecast.js';

/** Charts drawn at most (the table lists every series). */
const MAX_CHARTS = 12;

/** A value in the forecast's unit. */
export function value(f: Forecast, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return f.unit === 'percent' ? `${v.toFixed(1)}%` : `${formatBytes(v)}/s`;
}

/** Growth per day, signed. */
export function growth(f: Forecast): string {
  if (f.perDay === undefined) return '—';
  const sign = f.perDay > 0 ? '+' : f.perDay < 0 ? '−' : '±';
  const abs = Math.abs(f.perDay);
  return f.unit === 'percent'
    ? `${sign}${abs.toFixed(2)} points/day`
    : `${sign}${formatBytes(abs)}/s per day`;
}

/** Days until a level, in words: "already there", "not growing", "39.8 days". */
export function days(d: number | undefined): string {
  if (d === undefined) return '—';
  if (d === 0) return 'already there';
  if (!Number.isFinite(d)) return 'not growing';
  return `${d.toFixed(1)} days`;
}

/** The date `d` days after the window's end. */
export function dateAfter(endSec: number, d: number | undefined): string {
  if (d === undefined || !Number.isFinite(d)) return '';
  return new Date((endSec + d * 86_400) * 1000).toISOString().slice(0, 10);
}

/** The fit in words: "R² 0.998 (good), ±0.2 over 8640 samples". */
export function fitText(f: Forecast): string {
  if (!f.fit) return 'no fit';
  const rse =
    f.unit === 'percent'
      ? `±${f.fit.residualStdError.toFixed(2)} points`
      : `±${formatBytes(f.fit.residualStdError)}/s`;
  return `R² ${f.fit.r2.toFixed(3)} (${f.quality ?? ''}), residuals ${rse}, ${f.fit.n} samples`;
}

/** Who a forecast is about: "volume {persistentvolumeclaim=\"data\"}". */
export function label(f: Forecast): string {
  return f.series ? `${f.resource} ${f.series}` : f.resource;
}

/** The forecast table. */
export function forecastTable(
  fs: Forecast[],
  warnAt: number,
  endSec: number,
): string {
  return table(
    [
      'Resource',
      'Now (fitted)',
      'Last sample',
      'Growth',
      'Fit',
      `Until ${warnAt}%`,
      'Until full',
    ],
    fs.map((f) => [
      label(f),
      value(f, f.now),
      value(f, f.last),
      growth(f),
      fitText(f),
      f.unit === 'percent'
        ? `${days(f.daysToWarn)} ${dateAfter(endSec, f.daysToWarn)}`.trim()
        : 'n/a (a rate)',
      f.unit === 'percent'
        ? `${days(f.daysToFull)} ${dateAfter(endSec, f.daysToFull)}`.trim()
        : 'n/a',
    ]),
  );
}

/** The chart of one forecast: samples, the fitted line, warn-at. */
export function forecastChart(
  f: Forecast,
  r: QueryRange,
  warnAt: number,
): string {
  if (f.points.length === 0 || !f.fit) return '';
  const from = r.start - r.step;
  const values = downsample(f.points, from, r.end);
  const n = values.length;
  const span = (r.end - from) / 86_400;
  const fit = f.fit;
  const line = values.map(
    (_, i) => fit.intercept + fit.slope * (-span + ((i + 0.5) * span) / n),
  );
  return renderChart({
    title: label(f),
    xLabel: 'days before the end of the window',
    x: [-span, 0],
    yLabel: f.unit === 'percent' ? '%' : 'bytes/s',
    lines: [
      { label: `${label(f)} (bucket means)`, values },
      { label: `least-squares line (${fitText(f)})`, values: line },
      ...(f.unit === 'percent'
        ? [{ label: `warn-at ${warnAt}%`, values: flat(warnAt, n) }]
        : []),
    ],
  });
}

/** Every chart, up to MAX_CHARTS, each under a heading. */
export function chartsSection(
  fs: Forecast[],
  r: QueryRange,
  warnAt: number,
): string {
  const drawn = fs
    .map((f) => ({ f, chart: forecastChart(f, r, warnAt) }))
    .filter((x) => x.chart);
  const shown = drawn.slice(0, MAX_CHARTS);
  return shown.map((x) => `#### ${label(x.f)}\n\n${x.chart}`).join('\n\n');
}

/** The df table. */
export function dfTable(rows: DfRow[]): string {
  return table(
    ['Pod', 'Path', 'Filesystem', 'Size', 'Used', 'Available', 'Use'],
    rows.map((d) => [
      d.pod,
      d.path,
      d.filesystem,
      formatBytes(d.sizeKiB * 1024),
      formatBytes(d.usedKiB * 1024),
      formatBytes(d.availKiB * 1024),
      `${d.percent.toFixed(1)}%`,
    ]),
  );
}
