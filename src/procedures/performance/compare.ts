/**
 * The runbook's regression check, per series: the mean of the recent window
 * against the mean of the baseline window before it, worse by more than the
 * threshold in the direction that is worse. Samples that are not numbers,
 * and steps without samples, are counted and reported, never averaged in;
 * a window without a single number gives no verdict at all (never a quiet
 * "no regression").
 */
import type { Series } from '../../prometheus/query.js';
import {
  inspectSeries,
  labelText,
  qualityNotes,
  type QueryRange,
  type SeriesQuality,
} from '../../prometheus/series.js';
import { mean } from '../../prometheus/stats.js';
import type { NamedQuery } from './queries.js';

/** What the comparison is held to. */
export interface CompareRules {
  /** Seconds of the recent window (the rest of the grid is the baseline). */
  recentSec: number;
  /** Percent, e.g. 20. */
  threshold: number;
  direction: 'higher-is-worse' | 'lower-is-worse';
}

/** One series compared. */
export interface Comparison {
  query: string;
  expr: string;
  /** The series' labels in PromQL form, '' for a single unlabelled series. */
  series: string;
  baselineMean: number;
  recentMean: number;
  baselineSamples: number;
  recentSamples: number;
  /** Signed change towards worse: 0.25 = 25% worse, -0.1 = 10% better; NaN without a verdict. */
  change: number;
  /** true/false; undefined when there was no data to tell. */
  regression: boolean | undefined;
  /** Why there is no verdict, or what was left out of the means. */
  notes: string[];
  quality?: SeriesQuality;
}

/** Change towards worse, as a ratio of the baseline mean. */
export function worseChange(
  baseline: number,
  recent: number,
  direction: CompareRules['direction'],
): number {
  const delta =
    direction === 'higher-is-worse' ? recent - baseline : baseline - recent;
  if (baseline === 0) return delta === 0 ? 0 : delta > 0 ? Infinity : -Infinity;
  return delta / Math.abs(baseline);
}

/** Compares one series on the grid. */
export function compareSeries(
  q: NamedQuery,
  s: Series,
  r: QueryRange,
  rules: CompareRules,
): Comparison {
  const quality = inspectSeries(s.points, r);
  const cut = r.end - rules.recentSec;
  const recent = quality.points.filter(([t]) => t > cut).map(([, v]) => v);
  const base = quality.points.filter(([t]) => t <= cut).map(([, v]) => v);
  const notes = qualityNotes(quality, r.step);
  const out: Comparison = {
    query: q.name,
    expr: q.expr,
    series: labelText(s.metric),
    baselineMean: mean(base),
    recentMean: mean(recent),
    baselineSamples: base.length,
    recentSamples: recent.length,
    change: NaN,
    regression: undefined,
    notes,
    quality,
  };
  if (recent.length === 0 || base.length === 0) {
    const which = [recent.length ? '' : 'recent', base.length ? '' : 'baseline']
      .filter(Boolean)
      .join(' and ');
    out.notes = [
      `no numeric sample in the ${which} window: cannot compare`,
      ...notes,
    ];
    return out;
  }
  out.change = worseChange(out.baselineMean, out.recentMean, rules.direction);
  out.regression = out.change > rules.threshold / 100;
  return out;
}

/** A query that returned no series, or failed: a comparison without a verdict. */
export function noData(q: NamedQuery, why: string): Comparison {
  return {
    query: q.name,
    expr: q.expr,
    series: '',
    baselineMean: NaN,
    recentMean: NaN,
    baselineSamples: 0,
    recentSamples: 0,
    change: NaN,
    regression: undefined,
    notes: [why],
  };
}

/** Every series of a query compared; a query with no series is one comparison without a verdict. */
export function compareQuery(
  q: NamedQuery,
  series: Series[],
  r: QueryRange,
  rules: CompareRules,
): Comparison[] {
  if (series.length === 0)
    return [
      noData(q, 'the query returned no series (empty result): cannot compare'),
    ];
  return series.map((s) => compareSeries(q, s, r, rules));
}
