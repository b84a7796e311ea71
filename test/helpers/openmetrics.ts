// History for a real Prometheus: series the tests generate, written as
// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`
// (startPrometheus({history})).

/** One series of history: (Unix seconds, value) points, in time order. */
export interface HistorySeries {
  name: string;
  labels?: Record<string, string>;
  points: [number, number][];
}

function value(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** OpenMetrics text of gauges: each family's series together, `# EOF` at the end. */
export function openMetrics(series: HistorySeries[]): string {
  const families = new Map<string, HistorySeries[]>();
  for (const s of series)
    families.set(s.name, [...(families.get(s.name) ?? []), s]);
  const out: string[] = [];
  for (const [name, ss] of families) {
    out.push(`# TYPE ${name} gauge`);
    for (const s of ss) {
      const l = Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`)
        .join(',');
      for (const [t, v] of s.points)
        out.push(`${name}${l ? `{${l}}` : ''} ${value(v)} ${t}`);
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/** Points every `step` seconds over (end - span, end], from f(t). */
export function generate(
  end: number,
  spanSec: number,
  step: number,
  f: (t: number) => number,
): [number, number][] {
  const pts: [number, number][] = [];
  for (let t = end - spanSec + step; t <= end; t += step) pts.push([t, f(t)]);
  return pts;
}
