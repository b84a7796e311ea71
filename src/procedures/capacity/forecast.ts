/**
 * The capacity forecast of one series: a least-squares line through its
 * numeric samples over the window, the level it is at now (the line at the
 * window's end), its growth per day and how well the line fits, and from
 * them the days until the warn-at level and until 100%.
 */
import type { Series } from '../../prometheus/query.js';
import {
  inspectSeries,
  labelText,
  qualityNotes,
  type QueryRange,
} from '../../prometheus/series.js';
import {
  fitQuality,
  linearFit,
  type LinearFit,
} from '../../prometheus/stats.js';

const DAY = 86_400;

/** A forecast for one series. */
export interface Forecast {
  /** memory, volume, network transmit. */
  resource: string;
  /** The series' labels, '' when there is one unlabelled series. */
  series: string;
  /** percent series get days-to levels; rate series only a trend. */
  unit: 'percent' | 'bytes/s';
  samples: number;
  /** The last numeric sample. */
  last: number;
  fit?: LinearFit;
  /** The line at the window's end. */
  now?: number;
  /** Growth per day, in the series' unit. */
  perDay?: number;
  quality?: 'good' | 'fair' | 'poor';
  /** 0 when already there; Infinity when not growing; undefined without a fit. */
  daysToWarn?: number;
  daysToFull?: number;
  notes: string[];
  /** Set when the query itself failed (Prometheus down, a refused query). */
  error?: string;
  /** Points for the chart: (seconds, value). */
  points: [number, number][];
}

/** Days until a growing line reaches `level`: 0 when already there, Infinity when not growing. */
export function daysUntil(now: number, perDay: number, level: number): number {
  if (now >= level) return 0;
  if (!(perDay > 0)) return Infinity;
  return (level - now) / perDay;
}

/**
 * Fits one series on the grid. x is in days before the window's end (so the
 * intercept is the level now and the slope the growth per day).
 */
export function forecastSeries(
  resource: string,
  unit: Forecast['unit'],
  s: Series,
  r: QueryRange,
  warnAt: number,
): Forecast {
  const q = inspectSeries(s.points, r);
  const f: Forecast = {
    resource,
    series: labelText(s.metric),
    unit,
    samples: q.points.length,
    last: q.points.at(-1)?.[1] ?? NaN,
    notes: qualityNotes(q, r.step),
    points: q.points,
  };
  const fit = linearFit(q.points.map(([t, v]) => [(t - r.end) / DAY, v]));
  if (!fit) {
    f.notes.unshift(
      `${q.points.length} numeric sample(s): too few to fit a line, no forecast`,
    );
    return f;
  }
  f.fit = fit;
  f.now = fit.intercept;
  f.perDay = fit.slope;
  f.quality = fitQuality(fit);
  if (unit === 'percent') {
    f.daysToWarn = daysUntil(fit.intercept, fit.slope, warnAt);
    f.daysToFull = daysUntil(fit.intercept, fit.slope, 100);
  }
  return f;
}

/** A query's series forecast, or one forecast without data when it returned none. */
export function forecastQuery(
  resource: string,
  unit: Forecast['unit'],
  series: Series[],
  r: QueryRange,
  warnAt: number,
): Forecast[] {
  if (series.length === 0)
    return [
      noForecast(
        resource,
        unit,
        'the query returned no series (empty result): no forecast',
      ),
    ];
  return series.map((s) => forecastSeries(resource, unit, s, r, warnAt));
}

/** A resource that could not be forecast, and why. */
export function noForecast(
  resource: string,
  unit: Forecast['unit'],
  why: string,
): Forecast {
  return {
    resource,
    series: '',
    unit,
    samples: 0,
    last: NaN,
    notes: [why],
    points: [],
  };
}

/** Whether a forecast reaches warn-at (or is already there) within `horizonDays`. */
export function withinHorizon(f: Forecast, horizonDays: number): boolean {
  return f.daysToWarn !== undefined && f.daysToWarn <= horizonDays;
}
