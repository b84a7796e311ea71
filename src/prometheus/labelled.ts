/**
 * Labelled metric families for the Pushgateway: the text exposition format
 * 0.0.4 with labels (the plain `exposition` of pushgateway.ts has none), and
 * a push of such families to one group.
 */
import { groupUrl } from './pushgateway.js';

/** One sample with labels. */
export interface LabelledSample {
  labels: Record<string, string>;
  value: number;
}

/** One metric family to push. */
export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: LabelledSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

function sampleLine(name: string, s: LabelledSample): string {
  const labels = Object.entries(s.labels).map(([k, v]) => {
    if (!LABEL.test(k) || k.startsWith('__'))
      throw new Error(`bad label name ${k} on ${name}`);
    return `${k}="${escapeLabel(v)}"`;
  });
  const braces = labels.length > 0 ? `{${labels.join(',')}}` : '';
  return `${name}${braces} ${formatValue(s.value)}`;
}

/**
 * Text exposition format 0.0.4 of labelled families, with HELP and TYPE
 * lines; families without samples are left out.
 */
export function labelledExposition(families: Family[]): string {
  return families
    .filter((f) => f.samples.length > 0)
    .map((f) => {
      if (!NAME.test(f.name)) throw new Error(`bad metric name ${f.name}`);
      const help = f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      const lines = f.samples.map((s) => sampleLine(f.name, s));
      return `# HELP ${f.name} ${help}\n# TYPE ${f.name} ${f.type}\n${lines.join('\n')}\n`;
    })
    .join('');
}

/** fetch's "fetch failed" with the reason it hides in `cause`. */
function why(e: unknown): string {
  const cause = e instanceof Error ? e.cause : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  return cause instanceof Error ? `${msg}: ${cause.message}` : msg;
}

/**
 * Pushes labelled families to `job/<job>/<grouping key>`: PUT replaces the
 * whole group, POST only the families it names. Throws one line on failure.
 */
export async function pushFamilies(
  base: URL,
  method: 'PUT' | 'POST',
  job: string,
  groupingKey: Record<string, string>,
  families: Family[],
  timeoutMs = 15_000,
): Promise<void> {
  const url = groupUrl(base, job, groupingKey);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: labelledExposition(families),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new Error(`push to ${base.origin} failed: ${why(e)}`, { cause: e });
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 300);
    throw new Error(
      `push to ${base.origin} failed: HTTP ${res.status}${text ? `: ${text}` : ''}`,
    );
  }
  await res.body?.cancel();
}
