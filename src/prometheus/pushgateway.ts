/**
 * Pushgateway client: text exposition format, grouping key in the path, no
 * timestamps. `put` replaces the whole group; `post` replaces only the metrics
 * it names, so a failed run can set `*_success 0` without deleting the last
 * success timestamp a previous run pushed (the batch-job convention).
 */

/** One gauge to push; gauges of one name with different labels share HELP and TYPE. */
export interface Gauge {
  name: string;
  help: string;
  value: number;
  labels?: Record<string, string>;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleValue(v: number): string {
  return Number.isFinite(v)
    ? String(v)
    : v > 0
      ? '+Inf'
      : v < 0
        ? '-Inf'
        : 'NaN';
}

function labelSet(labels: Record<string, string> | undefined): string {
  const e = Object.entries(labels ?? {});
  for (const [k] of e)
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k.startsWith('__'))
      throw new Error(`bad label name ${k}`);
  return e.length
    ? `{${e.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
    : '';
}

/** Text exposition of gauges, with HELP and TYPE lines once per name. */
export function exposition(gauges: Gauge[]): string {
  const byName = new Map<string, Gauge[]>();
  for (const g of gauges) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(g.name))
      throw new Error(`bad metric name ${g.name}`);
    byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
  }
  return [...byName.values()]
    .map((gs) => {
      const g = gs[0];
      const samples = gs.map(
        (x) => `${x.name}${labelSet(x.labels)} ${sampleValue(x.value)}\n`,
      );
      return `# HELP ${g.name} ${escapeHelp(g.help)}\n# TYPE ${g.name} gauge\n${samples.join('')}`;
    })
    .join('');
}

function segment(label: string, value: string): string {
  // Values with '/' (or empty ones) use the base64 form the Pushgateway defines.
  if (value === '' || value.includes('/')) {
    return `${label}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  }
  return `${label}/${encodeURIComponent(value)}`;
}

/** `{base}/metrics/job/<job>/<label>/<value>...` */
export function groupUrl(
  base: URL,
  job: string,
  labels: Record<string, string>,
): string {
  const root = base.toString().replace(/\/+$/, '');
  const parts = [
    segment('job', job),
    ...Object.entries(labels).map(([k, v]) => segment(k, v)),
  ];
  return `${root}/metrics/${parts.join('/')}`;
}

/** Pushes gauges to one group; throws one line on failure. */
export async function push(
  base: URL,
  method: 'PUT' | 'POST',
  job: string,
  labels: Record<string, string>,
  gauges: Gauge[],
  timeoutMs = 15_000,
): Promise<void> {
  const url = groupUrl(base, job, labels);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: exposition(gauges),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new Error(
      `push to ${base.origin} failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 300);
    throw new Error(
      `push to ${base.origin} failed: HTTP ${res.status}${text ? `: ${text}` : ''}`,
    );
  }
  await res.body?.cancel();
}
