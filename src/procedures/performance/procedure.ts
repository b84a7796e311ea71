import { recordPush } from '../../archive/metrics.js';
import { errorMessage } from '../../errors.js';
import {
  checkPrometheusInputs,
  prometheusTarget,
} from '../../inputs/groups-prometheus.js';
import { connect } from '../../kube/connect.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push, type Gauge } from '../../prometheus/pushgateway.js';
import { rangeEndingAt, type QueryRange } from '../../prometheus/series.js';
import { PrometheusSession } from '../../prometheus/session.js';
import { ResultBuilder, type Check } from '../../report/step-result.js';
import { clusterNow } from './cluster.js';
import {
  compareQuery,
  noData,
  type Comparison,
  type CompareRules,
} from './compare.js';
import { performanceInputs, type PerformanceOptions } from './inputs.js';
import {
  changeText,
  chartsSection,
  comparisonTable,
  num,
  seriesName,
} from './report.js';
import { windowSection } from './window.js';

/**
 * The weekly performance review: each query's recent mean against its
 * baseline mean, charted, with node and pod utilisation now and over the
 * window; fails on a regression (or when it cannot tell).
 */
export const performance = defineProcedure({
  name: 'performance',
  title: 'Weekly performance review',
  description:
    "Compares each Prometheus query's recent mean with its baseline mean (the runbook's p95 scan duration by default), charts every series, shows node and pod CPU and memory now and over the window, and fails on a regression.",
  inputs: performanceInputs,
  outputs: {
    regression: 'true when any series regressed, else false.',
    comparisons:
      'Every series compared, as JSON: query, series, baselineMean, recentMean, change (ratio towards worse), regression (null when there was no data to tell).',
  },
  validate(o) {
    checkPrometheusInputs(o);
  },
  async run(o, ctx) {
    const target = prometheusTarget(o, ctx);
    const r = rangeEndingAt(ctx.now(), o.recent + o.baseline);
    const rb = ctx.record({
      prometheus: o.prometheusUrl?.origin ?? '',
      window: `${iso(r.start - r.step)} → ${iso(r.end)}`,
    });
    const rules: CompareRules = {
      recentSec: o.recent / 1000,
      threshold: o.threshold,
      direction: o.direction,
    };
    const prom = new PrometheusSession(target);
    const comparisons: Comparison[] = [];
    for (const q of o.query) {
      const got = await ctx.log.group(`Query ${q.name}`, () =>
        prom.range(q.expr, r),
      );
      comparisons.push(
        ...('error' in got
          ? [noData(q, got.error)]
          : compareQuery(q, got.series, r, rules)),
      );
    }
    for (const c of comparisons) rb.check(comparisonCheck(c, o));
    rb.details.push(windowText(r, o), comparisonTable(comparisons, rules));
    const charts = chartsSection(comparisons, r, rules);
    if (charts) rb.details.push(charts);
    if (o.clusterResources) await addCluster(o, ctx, rb);
    if (!prom.unavailable)
      rb.details.push(await windowSection(prom, r, o.namespace));
    recordMetrics(rb, comparisons, r);
    return finish(o, rb, comparisons);
  },
  async onFailure(o, _failure, _ctx) {
    const rb = new ResultBuilder('performance', () => new Date());
    await recordPush(rb, async () => {
      if (!o.pushgatewayUrl) return undefined;
      await push(o.pushgatewayUrl, 'POST', JOBS.performance, {}, [
        gauge(METRICS.performanceSuccess, 0),
      ]);
      return `${METRICS.performanceSuccess.name} 0 (POST ${JOBS.performance})`;
    });
    return rb.checks;
  },
});

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function windowText(r: QueryRange, o: PerformanceOptions): string {
  const cut = r.end - o.recent / 1000;
  return `Baseline ${iso(r.start - r.step)} → ${iso(cut)}, recent ${iso(cut)} → ${iso(r.end)}, one evaluation every ${r.step} s (each stands for the step that ends at it). Means are over numeric samples only.`;
}

/** One check per series: ok, a regression, or no verdict. */
function comparisonCheck(c: Comparison, o: PerformanceOptions): Check {
  const threshold = `≤ ${o.threshold}% worse than the baseline mean (${o.direction})`;
  const name = `regression: ${seriesName(c)}`;
  if (c.regression === undefined)
    return {
      name,
      status: 'failed',
      observed: c.notes[0] ?? 'no data',
      threshold,
      ...(c.notes.length > 1 ? { detail: c.notes.slice(1).join('; ') } : {}),
    };
  const observed = `recent ${num(c.recentMean)} vs baseline ${num(c.baselineMean)}: ${changeText(c)}`;
  const status = c.regression
    ? o.failOnRegression
      ? 'failed'
      : 'warning'
    : c.notes.length
      ? 'warning'
      : 'ok';
  return {
    name,
    status,
    observed,
    threshold,
    ...(c.notes.length ? { detail: c.notes.join('; ') } : {}),
  };
}

async function addCluster(
  o: PerformanceOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
): Promise<void> {
  try {
    const kube = await connect(o, ctx);
    rb.target['cluster'] = kube.server;
    const now = await ctx.log.group('Nodes and pods now', () =>
      clusterNow(kube, o.namespace, o.selector),
    );
    for (const c of now.checks) rb.check(c);
    rb.details.push(...now.details);
  } catch (e) {
    rb.check({ name: 'cluster', status: 'failed', observed: errorMessage(e) });
  }
}

function recordMetrics(
  rb: ResultBuilder,
  cs: Comparison[],
  r: QueryRange,
): void {
  rb.metrics['regression'] = cs.some((c) => c.regression) ? 1 : 0;
  rb.metrics['series'] = cs.length;
  rb.metrics['regressions'] = cs.filter((c) => c.regression).length;
  rb.metrics['noVerdict'] = cs.filter((c) => c.regression === undefined).length;
  rb.metrics['windowStart'] = r.start - r.step;
  rb.metrics['windowEnd'] = r.end;
  rb.metrics['step'] = r.step;
}

function headline(cs: Comparison[], o: PerformanceOptions): string {
  const bad = cs.filter((c) => c.regression);
  const unknown = cs.filter((c) => c.regression === undefined);
  const parts: string[] = [];
  if (bad.length)
    parts.push(
      `Regression: ${bad.map((c) => `${seriesName(c)} ${changeText(c)} (${num(c.recentMean)} vs ${num(c.baselineMean)})`).join('; ')}; threshold ${o.threshold}%.`,
    );
  if (unknown.length)
    parts.push(
      `No verdict for ${unknown.map(seriesName).join(', ')}: ${unknown[0]?.notes[0] ?? ''}.`,
    );
  if (!parts.length)
    parts.push(
      `No regression: ${cs.length} series within ${o.threshold}% of the baseline mean.`,
    );
  return parts.join(' ');
}

async function finish(
  o: PerformanceOptions,
  rb: ResultBuilder,
  cs: Comparison[],
) {
  const regression = cs.some((c) => c.regression);
  await pushMetrics(o, rb, cs, regression);
  for (const c of cs.filter((x) => x.regression))
    rb.followUps.push(
      `Performance regression in ${seriesName(c)}: ${changeText(c)} (${num(c.recentMean)} vs ${num(c.baselineMean)}); find the cause before the next review.`,
    );
  const result = rb.finish(headline(cs, o));
  const failed = rb.checks.find((c) => c.status === 'failed');
  return {
    result,
    outputs: {
      regression: String(regression),
      comparisons: JSON.stringify(
        cs.map((c) => ({
          query: c.query,
          series: c.series,
          baselineMean: c.baselineMean,
          recentMean: c.recentMean,
          change: c.change,
          regression: c.regression ?? null,
        })),
      ),
    },
    failure: failed
      ? `performance: ${failed.name}: ${failed.observed}`
      : undefined,
  };
}

/**
 * On a run that could compare every series: the whole group (PUT), last-run
 * time included. Otherwise only success 0 (POST), so the last good run's
 * figures and time stay for the alert rules.
 */
async function pushMetrics(
  o: PerformanceOptions,
  rb: ResultBuilder,
  cs: Comparison[],
  regression: boolean,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!o.pushgatewayUrl) return undefined;
    const complete =
      cs.every((c) => c.regression !== undefined) &&
      !rb.checks.some((c) => c.name === 'cluster' && c.status === 'failed');
    if (!complete) {
      await push(o.pushgatewayUrl, 'POST', JOBS.performance, {}, [
        gauge(METRICS.performanceSuccess, 0),
      ]);
      return `${METRICS.performanceSuccess.name} 0 (POST ${JOBS.performance})`;
    }
    const per: Gauge[] = cs.flatMap((c) => {
      const labels = { query: seriesName(c) };
      return [
        gauge(METRICS.performanceChange, c.change, labels),
        gauge(METRICS.performanceRecentMean, c.recentMean, labels),
        gauge(METRICS.performanceBaselineMean, c.baselineMean, labels),
      ];
    });
    const g = [
      gauge(METRICS.performanceRegression, regression ? 1 : 0),
      gauge(METRICS.performanceSuccess, 1),
      gauge(
        METRICS.performanceLastRun,
        Math.floor(rb.startedAt.getTime() / 1000),
      ),
      ...per,
    ];
    await push(o.pushgatewayUrl, 'PUT', JOBS.performance, {}, g);
    return `${METRICS.performanceRegression.name} ${regression ? 1 : 0}, ${METRICS.performanceSuccess.name} 1, ${cs.length} series (PUT ${JOBS.performance})`;
  });
}
