/**
 * Pushgateway client: text exposition format, grouping key in the path, no
 * timestamps. `put` replaces the whole group; `post` replaces only the metrics
 * it names, so a failed run can set `*_success 0` without deleting the last
 * success timestamp a previous run pushed (the batch-job convention).
 */

/** One gauge to push. */
export interface Gauge {
  name: string;
  help: string;
  value: number;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Text exposition of gauges, with HELP and TYPE lines. */
export function exposition(gauges: Gauge[]): string {
  return gauges
    .map((g) => {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(g.name))
        throw new Error(`bad metric name ${g.name}`);
      const v = Number.isFinite(g.value)
        ? String(g.value)
        : g.value > 0
          ? '+Inf'
          : g.value < 0
            ? '-Inf'
            : 'NaN';
      return `# HELP ${g.name} ${escapeHelp(g.help)}\n# TYPE ${g.name} gauge\n${g.name} ${v}\n`;
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
