/**
 * What a range query's series is worth before anyone computes with it: the
 * evaluation grid it was asked on, the samples that are numbers, and the NaN,
 * +Inf, -Inf and missing steps that were left out, each counted so a report
 * can say so instead of averaging them away.
 */
import { MAX_POINTS } from './query.js';

/** A range query's grid: Unix seconds, aligned to the step. */
export interface QueryRange {
  start: number;
  end: number;
  step: number;
}

/** Steps a range may use: whole minutes and hours, so samples line up with dashboards. */
const NICE_STEPS = [
  60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

/**
 * The smallest step of {@link NICE_STEPS} (at least `minStepSec`) that keeps
 * `spanSec` under the server's 11,000 points per series.
 */
export function niceStep(spanSec: number, minStepSec = 60): number {
  const needed = Math.max(minStepSec, Math.ceil(spanSec / (MAX_POINTS - 1)));
  return (
    NICE_STEPS.find((s) => s >= needed) ?? Math.ceil(needed / 86_400) * 86_400
  );
}

/**
 * The grid of a range ending at `now` and spanning `spanMs`: the end is the
 * last step boundary at or before `now`, so every evaluation lands on a step
 * multiple and two runs in the same step see the same points. Each evaluation
 * at t stands for the step (t - step, t], so the grid starts one step after
 * `end - span` and holds exactly span / step evaluations.
 */
export function rangeEndingAt(now: Date, spanMs: number): QueryRange {
  const span = Math.round(spanMs / 1000);
  const step = niceStep(span);
  const end = Math.floor(now.getTime() / 1000 / step) * step;
  return { start: end - Math.ceil(span / step) * step + step, end, step };
}

/** A series split into its usable points and what was left out. */
export interface SeriesQuality {
  /** Points with a finite value, in time order. */
  points: [number, number][];
  /** Evaluation steps the grid has. */
  expected: number;
  nan: number;
  posInf: number;
  negInf: number;
  /** Steps with no sample at all (a scrape gap, a series that started late). */
  missing: number;
  /** The longest run of consecutive steps without a usable value, in seconds. */
  longestGapSec: number;
}

/** Splits a series on a grid into its finite points and the counts of the rest. */
export function inspectSeries(
  raw: [number, number][],
  r: QueryRange,
): SeriesQuality {
  const expected = Math.floor((r.end - r.start) / r.step) + 1;
  const points: [number, number][] = [];
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (const [t, v] of raw) {
    if (Number.isNaN(v)) nan++;
    else if (v === Infinity) posInf++;
    else if (v === -Infinity) negInf++;
    else points.push([t, v]);
  }
  points.sort((a, b) => a[0] - b[0]);
  let longest = 0;
  let prev = r.start - r.step;
  for (const [t] of [...points, [r.end + r.step, 0] as [number, number]]) {
    longest = Math.max(longest, t - prev - r.step);
    prev = t;
  }
  return {
    points,
    expected,
    nan,
    posInf,
    negInf,
    missing: Math.max(0, expected - raw.length),
    longestGapSec: Math.max(0, longest),
  };
}

/** Human duration of a gap: "3h", "2d 4h", "15m". */
export function formatSpan(sec: number): string {
  const d = Math.floor(sec / 86_400);
  const h = Math.floor((sec % 86_400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', !d && m ? `${m}m` : ''];
  return parts.filter(Boolean).join(' ') || `${sec}s`;
}

/**
 * One line per problem of a series ("12 NaN samples left out"), empty when
 * every step had a finite value. A gap counts when it is at least two steps.
 */
export function qualityNotes(q: SeriesQuality, step: number): string[] {
  const notes: string[] = [];
  if (q.nan) notes.push(`${q.nan} NaN sample(s) left out`);
  if (q.posInf)
    notes.push(
      `${q.posInf} +Inf sample(s) left out (a quantile beyond the last histogram bucket, or a division by zero)`,
    );
  if (q.negInf) notes.push(`${q.negInf} -Inf sample(s) left out`);
  if (q.missing > 0 && q.longestGapSec >= 2 * step)
    notes.push(
      `${q.missing} of ${q.expected} steps without a sample (longest gap ${formatSpan(q.longestGapSec)})`,
    );
  return notes;
}

/** Labels of a series as PromQL writes them: `{pod="a",job="b"}`, or '' when none. */
export function labelText(metric: Record<string, string>): string {
  const e = Object.entries(metric).filter(([k]) => k !== '__name__');
  return e.length
    ? `{${e.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
    : '';
}
