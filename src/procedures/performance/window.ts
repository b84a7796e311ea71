/**
 * Node and pod CPU and memory over the review window, from the node-exporter
 * and cAdvisor series Prometheus usually has: mean and peak per series.
 * Absent series are a note, not a failure (not every Prometheus scrapes them).
 */
import { formatBytes, formatCpu } from '../../kube/quantity.js';
import type { PrometheusSession } from '../../prometheus/session.js';
import {
  inspectSeries,
  labelText,
  type QueryRange,
} from '../../prometheus/series.js';
import { mean } from '../../prometheus/stats.js';
import { table } from '../../report/markdown.js';

/** One utilisation query over the window. */
interface WindowQuery {
  what: string;
  expr: string;
  unit: (v: number) => string;
}

const percent = (v: number): string => `${v.toFixed(1)}%`;

/** The queries, for the application's namespace. */
export function windowQueries(namespace: string): WindowQuery[] {
  const sel = `namespace="${namespace}",container!="",container!="POD"`;
  return [
    {
      what: 'Node CPU utilisation',
      expr: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
      unit: percent,
    },
    {
      what: 'Node memory utilisation',
      expr: '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
      unit: percent,
    },
    {
      what: 'Pod CPU (cores)',
      expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${sel}}[5m]))`,
      unit: formatCpu,
    },
    {
      what: 'Pod memory (working set)',
      expr: `sum by (pod) (container_memory_working_set_bytes{${sel}})`,
      unit: formatBytes,
    },
  ];
}

/** Most rows per utilisation table. */
const MAX_ROWS = 50;

/** The window section: one table per query that has data, a note for those that have none. */
export async function windowSection(
  prom: PrometheusSession,
  r: QueryRange,
  namespace: string,
): Promise<string> {
  const parts: string[] = [];
  const absent: string[] = [];
  for (const q of windowQueries(namespace)) {
    const got = await prom.range(q.expr, r);
    if ('error' in got) {
      absent.push(`${q.what}: ${got.error}`);
      continue;
    }
    const rows = got.series
      .map((s) => {
        const pts = inspectSeries(s.points, r).points.map(([, v]) => v);
        return { s: labelText(s.metric), pts };
      })
      .filter((x) => x.pts.length > 0);
    if (rows.length === 0) {
      absent.push(`${q.what}: no data (\`${q.expr}\`)`);
      continue;
    }
    parts.push(
      `**${q.what}** over the window\n\n${table(
        ['Series', 'Mean', 'Peak', 'Samples'],
        rows
          .slice(0, MAX_ROWS)
          .map((x) => [
            x.s || '(one series)',
            q.unit(mean(x.pts)),
            q.unit(Math.max(...x.pts)),
            x.pts.length,
          ]),
      )}`,
    );
  }
  if (absent.length)
    parts.push(
      `Not available from Prometheus:\n\n${absent.map((a) => `- ${a}`).join('\n')}`,
    );
  return `#### Resource utilisation over the window (Prometheus)\n\n${parts.join('\n\n')}`;
}
