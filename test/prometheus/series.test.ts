// The arithmetic behind the reviews: grids, series quality, least squares
// and charts, each checked against values worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  inspectSeries,
  niceStep,
  qualityNotes,
  rangeEndingAt,
} from '../../src/prometheus/series.js';
import { fitQuality, linearFit, mean } from '../../src/prometheus/stats.js';
import {
  chartNumber,
  downsample,
  renderChart,
} from '../../src/report/chart.js';

describe('grids', () => {
  it.each([
    [3600, 60],
    [7 * 86_400, 60],
    [8 * 86_400, 120],
    [30 * 86_400, 300],
    [90 * 86_400, 900],
  ])('a span of %i s gets a step of %i s', (span, step) => {
    expect(niceStep(span)).toBe(step);
    expect(span / step).toBeLessThanOrEqual(11_000);
  });

  it('ends on a step boundary and holds span / step evaluations', () => {
    const r = rangeEndingAt(new Date('2026-03-01T12:34:56Z'), 86_400_000);
    const end = Date.parse('2026-03-01T12:34:00Z') / 1000;
    expect(r).toEqual({ start: end - 86_400 + 60, end, step: 60 });
    expect((r.end - r.start) / r.step + 1).toBe(1440);
  });
});

describe('series quality', () => {
  const r = { start: 60, end: 600, step: 60 };
  it('counts NaN, ±Inf and missing steps, and keeps the rest', () => {
    const q = inspectSeries(
      [
        [60, 1],
        [120, NaN],
        [180, Infinity],
        [240, -Infinity],
        [540, 2],
        [600, 3],
      ],
      r,
    );
    expect(q.points).toEqual([
      [60, 1],
      [540, 2],
      [600, 3],
    ]);
    expect([q.expected, q.nan, q.posInf, q.negInf, q.missing]).toEqual([
      10, 1, 1, 1, 4,
    ]);
    expect(q.longestGapSec).toBe(420);
    expect(qualityNotes(q, 60)).toEqual([
      '1 NaN sample(s) left out',
      '1 +Inf sample(s) left out (a quantile beyond the last histogram bucket, or a division by zero)',
      '1 -Inf sample(s) left out',
      '4 of 10 steps without a sample (longest gap 7m)',
    ]);
  });
  it('a complete series has no notes', () => {
    const pts: [number, number][] = [];
    for (let t = 60; t <= 600; t += 60) pts.push([t, 1]);
    expect(qualityNotes(inspectSeries(pts, r), 60)).toEqual([]);
  });
});

describe('least squares', () => {
  it('recovers an exact line with R² 1', () => {
    const f = linearFit([
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7],
    ])!;
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(1, 12);
    expect(f.r2).toBe(1);
    expect(f.residualStdError).toBeCloseTo(0, 12);
  });
  it('matches a fit worked out by hand', () => {
    // x̄ = 2, ȳ = 3; Sxy = 5, Sxx = 10: slope 0.5, intercept 2; SSE = 3.5, SST = 6.
    const f = linearFit([
      [0, 2],
      [1, 2],
      [2, 3],
      [3, 5],
      [4, 3],
    ])!;
    expect(f.slope).toBeCloseTo(0.5, 12);
    expect(f.intercept).toBeCloseTo(2, 12);
    expect(f.r2).toBeCloseTo(1 - 3.5 / 6, 12);
    expect(f.residualStdError).toBeCloseTo(Math.sqrt(3.5 / 3), 12);
    expect(fitQuality(f)).toBe('poor');
  });
  it('refuses fewer than three points or a single x', () => {
    expect(
      linearFit([
        [0, 1],
        [1, 2],
      ]),
    ).toBeUndefined();
    expect(
      linearFit([
        [1, 1],
        [1, 2],
        [1, 3],
      ]),
    ).toBeUndefined();
    expect(mean([])).toBeNaN();
  });
});

describe('charts', () => {
  it('downsamples to bucket means and fills empty buckets', () => {
    const pts: [number, number][] = [];
    for (let t = 0; t < 1000; t++) pts.push([t, t]);
    const d = downsample(pts, 0, 1000, 10);
    expect(d).toEqual([
      49.5, 149.5, 249.5, 349.5, 449.5, 549.5, 649.5, 749.5, 849.5, 949.5,
    ]);
    expect(
      downsample(
        [
          [0, 5],
          [100, 6],
          [900, 7],
        ],
        0,
        1000,
        10,
      ),
    ).toEqual([5.5, 5.5, 7]);
    expect(downsample(pts, 0, 1000).length).toBe(100);
  });
  it('writes numbers Mermaid can parse', () => {
    expect([1234567, 0.000012346, 1e-12, -2.5, NaN].map(chartNumber)).toEqual([
      '1235000',
      '0.00001235',
      '0',
      '-2.5',
      '0',
    ]);
  });
  it('renders an xychart with a legend, quotes made safe', () => {
    const md = renderChart({
      title: 'p95 "scan" `x` 100%%',
      xLabel: 'days',
      x: [-7, 0],
      yLabel: 's',
      lines: [
        { label: 'series', values: [1, 2] },
        { label: 'baseline', values: [1.5, 1.5] },
      ],
    });
    expect(md).toBe(
      [
        '```mermaid',
        'xychart-beta',
        `  title "p95 'scan' 'x' 100%"`,
        '  x-axis "days" -7 --> 0',
        '  y-axis "s" 0.95 --> 2.05',
        '  line [1, 2]',
        '  line [1.5, 1.5]',
        '```',
        '',
        '<sub>Lines, in drawing order: 1. series; 2. baseline.</sub>',
      ].join('\n'),
    );
  });
});
