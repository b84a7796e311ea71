import { recordPush } from '../../archive/metrics.js';
import {
  checkPrometheusInputs,
  prometheusTarget,
} from '../../inputs/groups-prometheus.js';
import { connect } from '../../kube/connect.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push } from '../../prometheus/pushgateway.js';
import { rangeEndingAt, type QueryRange } from '../../prometheus/series.js';
import { PrometheusSession } from '../../prometheus/session.js';
import { ResultBuilder, type Check } from '../../report/step-result.js';
import { dfThroughExec, type DfRow } from './df.js';
import {
  forecastQuery,
  noForecast,
  withinHorizon,
  type Forecast,
} from './forecast.js';
import { capacityInputs, type CapacityOptions } from './inputs.js';
import {
  chartsSection,
  dateAfter,
  days,
  dfTable,
  fitText,
  forecastTable,
  growth,
  label,
  value,
} from './report.js';

const DAY_MS = 86_400_000;
/** Time limit of df in one pod. */
const DF_TIMEOUT_MS = 60_000;

/**
 * The monthly capacity review: memory, volume and network trends over the
 * window, least-squares forecasts of the days until warn-at and until full
 * with the fit's quality, charts, and next items for what falls inside the
 * horizon.
 */
export const capacity = defineProcedure({
  name: 'capacity',
  title: 'Monthly capacity planning review',
  description:
    'Fits a least-squares line to memory utilisation, volume usage (kubelet volume metrics, else df through exec) and network transmit over the window, forecasts the days until warn-at and until full with the fit quality, charts them, and makes next items of what reaches warn-at within the horizon.',
  inputs: capacityInputs,
  outputs: {
    'days-to-warn':
      'The fewest forecast days until warn-at over every resource (0: already there); empty when nothing grows towards it.',
    forecasts:
      'Every forecast as JSON: resource, series, now, perDay, r2, daysToWarn and daysToFull (null: not growing or no fit).',
  },
  validate(o) {
    checkPrometheusInputs(o);
  },
  async run(o, ctx) {
    const r = rangeEndingAt(ctx.now(), o.window);
    const rb = ctx.record({
      prometheus: o.prometheusUrl?.origin ?? '',
      namespace: o.namespace,
      window: `${iso(r.start - r.step)} → ${iso(r.end)}`,
    });
    const prom = new PrometheusSession(prometheusTarget(o, ctx));
    const ask = async (
      resource: string,
      unit: Forecast['unit'],
      expr: string,
    ): Promise<Forecast[]> => {
      const got = await ctx.log.group(`Query ${resource}`, () =>
        prom.range(expr.replaceAll('$namespace', o.namespace), r),
      );
      return 'error' in got
        ? [
            {
              ...noForecast(resource, unit, got.error),
              error: got.error,
            },
          ]
        : forecastQuery(resource, unit, got.series, r, o.warnAt);
    };
    const fs = [...(await ask('memory', 'percent', o.memoryQuery))];
    let df: { rows: DfRow[]; problems: string[] } | undefined;
    if (o.volumes === 'auto' || o.volumes === 'prometheus') {
      const vs = await ask('volume', 'percent', o.volumeQuery);
      const none = vs.every((v) => v.samples === 0);
      if (o.volumes === 'auto' && none) df = await readDf(o, ctx);
      else fs.push(...vs);
    } else if (o.volumes === 'exec') df = await readDf(o, ctx);
    fs.push(...(await ask('network transmit', 'bytes/s', o.networkQuery)));
    for (const f of fs) rb.check(forecastCheck(f, o, r));
    if (df) rb.check(dfCheck(df, o));
    details(rb, fs, df, o, r);
    return finish(o, rb, fs, r);
  },
  async onFailure(o, _failure, _ctx) {
    const rb = new ResultBuilder('capacity', () => new Date());
    await recordPush(rb, async () => {
      if (!o.pushgatewayUrl) return undefined;
      await push(o.pushgatewayUrl, 'POST', JOBS.capacity, {}, [
        gauge(METRICS.capacitySuccess, 0),
      ]);
      return `${METRICS.capacitySuccess.name} 0 (POST ${JOBS.capacity})`;
    });
    return rb.checks;
  },
});

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

async function readDf(o: CapacityOptions, ctx: ProcedureContext) {
  const kube = await connect(o, ctx);
  return ctx.log.group('df through exec', () =>
    dfThroughExec(
      kube,
      o.namespace,
      [o.selector, o.postgresSelector],
      DF_TIMEOUT_MS,
    ),
  );
}

/** One check per forecast: warning inside the horizon or without a forecast, failed when the query failed. */
function forecastCheck(f: Forecast, o: CapacityOptions, r: QueryRange): Check {
  const name = label(f);
  const horizonDays = o.horizon / DAY_MS;
  const threshold =
    f.unit === 'percent'
      ? `${o.warnAt}% not reached within ${horizonDays} days`
      : 'trend only';
  if (f.error)
    return {
      name,
      status: 'failed',
      observed: f.error,
      threshold,
    };
  if (!f.fit)
    return {
      name,
      status: 'warning',
      observed: f.notes[0] ?? 'no forecast',
      threshold,
      ...(f.notes.length > 1 ? { detail: f.notes.slice(1).join('; ') } : {}),
    };
  const reach =
    f.unit === 'percent'
      ? `: ${o.warnAt}% ${f.daysToWarn === 0 ? 'already reached' : `in ${days(f.daysToWarn)}`}${Number.isFinite(f.daysToWarn) && f.daysToWarn ? ` (${dateAfter(r.end, f.daysToWarn)})` : ''}, full ${f.daysToFull === 0 ? 'now' : `in ${days(f.daysToFull)}`}`
      : '';
  const within = withinHorizon(f, horizonDays);
  const notes = [
    ...(f.quality === 'poor' ? ['poor fit: the forecast is unreliable'] : []),
    ...f.notes,
  ];
  return {
    name,
    status: within || notes.length ? 'warning' : 'ok',
    observed: `${value(f, f.now)} now, ${growth(f)}${reach}; ${fitText(f)}`,
    threshold,
    ...(notes.length ? { detail: notes.join('; ') } : {}),
  };
}

function dfCheck(
  df: { rows: DfRow[]; problems: string[] },
  o: CapacityOptions,
): Check {
  const top = df.rows.reduce<DfRow | undefined>(
    (a, b) => (!a || b.percent > a.percent ? b : a),
    undefined,
  );
  const over = df.rows.filter((d) => d.percent >= o.warnAt);
  return {
    name: 'volumes (df)',
    status:
      df.problems.length && !df.rows.length
        ? 'failed'
        : over.length || df.problems.length
          ? 'warning'
          : 'ok',
    observed: top
      ? `${df.rows.length} filesystem(s), fullest ${top.percent.toFixed(1)}% (${top.pod}:${top.path}); a reading, no trend`
      : (df.problems[0] ?? 'no filesystem read'),
    threshold: `< ${o.warnAt}%`,
    ...(over.length || df.problems.length
      ? {
          detail: [
            ...over.map((d) => `${d.pod}:${d.path} ${d.percent.toFixed(1)}%`),
            ...df.problems,
          ].join('; '),
        }
      : {}),
  };
}

function details(
  rb: ResultBuilder,
  fs: Forecast[],
  df: { rows: DfRow[]; problems: string[] } | undefined,
  o: CapacityOptions,
  r: QueryRange,
): void {
  rb.details.push(
    `Window ${iso(r.start - r.step)} → ${iso(r.end)}, one evaluation every ${r.step} s; each line is an ordinary least-squares fit of the numeric samples (x in days), "now" is the line at the end of the window.`,
    forecastTable(fs, o.warnAt, r.end),
  );
  const charts = chartsSection(fs, r, o.warnAt);
  if (charts) rb.details.push(charts);
  if (df)
    rb.details.push(
      `#### Volumes (df through exec)\n\n${df.rows.length ? dfTable(df.rows) : 'Nothing read.'}${df.problems.length ? `\n\n${df.problems.map((p) => `- ${p}`).join('\n')}` : ''}`,
    );
}

async function finish(
  o: CapacityOptions,
  rb: ResultBuilder,
  fs: Forecast[],
  r: QueryRange,
) {
  const horizonDays = o.horizon / DAY_MS;
  for (const f of fs.filter((x) => withinHorizon(x, horizonDays)))
    rb.followUps.push(
      f.daysToWarn === 0
        ? `Capacity: ${label(f)} is at ${value(f, f.now)}, above ${o.warnAt}%: add capacity now.`
        : `Capacity: ${label(f)} is forecast to reach ${o.warnAt}% in ${days(f.daysToWarn)} (${dateAfter(r.end, f.daysToWarn)}; ${fitText(f)}): plan more capacity before then.`,
    );
  const warns = fs
    .map((f) => f.daysToWarn)
    .filter((d): d is number => d !== undefined && Number.isFinite(d));
  const soonest = warns.length ? Math.min(...warns) : undefined;
  rb.metrics['windowStart'] = r.start - r.step;
  rb.metrics['windowEnd'] = r.end;
  rb.metrics['step'] = r.step;
  if (soonest !== undefined) rb.metrics['daysToWarn'] = soonest;
  const failed = rb.checks.find((c) => c.status === 'failed');
  await pushMetrics(o, rb, fs, !failed);
  const inHorizon = fs.filter((f) => withinHorizon(f, horizonDays));
  const result = rb.finish(
    failed
      ? `Capacity review incomplete: ${failed.name}: ${failed.observed}`
      : inHorizon.length
        ? `${inHorizon.map((f) => `${label(f)} reaches ${o.warnAt}% ${f.daysToWarn === 0 ? 'already' : `in ${days(f.daysToWarn)}`}`).join('; ')} (horizon ${horizonDays} days).`
        : `Nothing reaches ${o.warnAt}% within ${horizonDays} days.`,
  );
  const num = (v: number | undefined) =>
    v !== undefined && Number.isFinite(v) ? v : null;
  return {
    result,
    outputs: {
      'days-to-warn': soonest === undefined ? '' : soonest.toFixed(1),
      forecasts: JSON.stringify(
        fs.map((f) => ({
          resource: f.resource,
          series: f.series,
          now: num(f.now),
          perDay: num(f.perDay),
          r2: num(f.fit?.r2),
          daysToWarn: num(f.daysToWarn),
          daysToFull: num(f.daysToFull),
        })),
      ),
    },
    failure: failed
      ? `capacity: ${failed.name}: ${failed.observed}`
      : undefined,
  };
}

async function pushMetrics(
  o: CapacityOptions,
  rb: ResultBuilder,
  fs: Forecast[],
  ok: boolean,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!o.pushgatewayUrl) return undefined;
    if (!ok) {
      await push(o.pushgatewayUrl, 'POST', JOBS.capacity, {}, [
        gauge(METRICS.capacitySuccess, 0),
      ]);
      return `${METRICS.capacitySuccess.name} 0 (POST ${JOBS.capacity})`;
    }
    const g = [
      gauge(METRICS.capacitySuccess, 1),
      ...fs
        .filter((f) => f.fit && f.unit === 'percent')
        .flatMap((f) => {
          const labels = { resource: label(f) };
          return [
            gauge(METRICS.capacityUtilization, f.now ?? NaN, labels),
            gauge(METRICS.capacityDaysToWarn, f.daysToWarn ?? NaN, labels),
            gauge(METRICS.capacityDaysToFull, f.daysToFull ?? NaN, labels),
            gauge(METRICS.capacityFitR2, f.fit?.r2 ?? NaN, labels),
          ];
        }),
    ];
    await push(o.pushgatewayUrl, 'PUT', JOBS.capacity, {}, g);
    return `${METRICS.capacitySuccess.name} 1, ${(g.length - 1) / 4} forecast(s) (PUT ${JOBS.capacity})`;
  });
}
