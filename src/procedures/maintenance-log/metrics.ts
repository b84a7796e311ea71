import { groupUrl } from '../../prometheus/pushgateway.js';
import { JOBS, METRICS } from '../../prometheus/catalog.js';
import type { Status, StepResult } from '../../report/step-result.js';

/** Each procedure's outcome in the last maintenance run. */
export const TASK_STATUS = METRICS.maintenanceTaskStatus;

const STATUS_VALUE: Partial<Record<Status, number>> = {
  ok: 1,
  warning: 0.5,
  failed: 0,
};

/** One sample with labels (the shared `exposition` has none). */
interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One metric family to push. */
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

const TIMEOUT_MS = 15_000;

/** fetch's "fetch failed" with the reason it hides in `cause`. */
function why(e: unknown): string {
  const cause = e instanceof Error ? e.cause : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  return cause instanceof Error ? `${msg}: ${cause.message}` : msg;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Text exposition format 0.0.4 of labelled families. */
export function labelledExposition(families: Family[]): string {
  return families
    .filter((f) => f.samples.length > 0)
    .map((f) => {
      const lines = f.samples.map((s) => {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(',');
        return `${f.name}${labels ? `{${labels}}` : ''} ${String(s.value)}`;
      });
      const help = f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      return `# HELP ${f.name} ${help}\n# TYPE ${f.name} ${f.type}\n${lines.join('\n')}\n`;
    })
    .join('');
}

/** The grouping key of the maintenance metrics: one group per environment. */
export function groupingKey(environment: string): Record<string, string> {
  return { environment };
}

interface ApiGroup {
  labels?: Record<string, string>;
  [metric: string]: unknown;
}

/**
 * The counter's current values by task_type, read from the Pushgateway's
 * `GET /api/v1/metrics` for exactly this job and grouping key; empty when
 * the group does not exist yet.
 */
export async function currentCounts(
  base: URL,
  labels: Record<string, string>,
): Promise<Map<string, number>> {
  const root = base.toString().replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${root}/api/v1/metrics`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new Error(`read of ${base.origin}/api/v1/metrics failed: ${why(e)}`, {
      cause: e,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(
      `read of ${base.origin}/api/v1/metrics failed: HTTP ${res.status}`,
    );
  }
  const body = (await res.json()) as { data?: ApiGroup[] };
  const want = { job: JOBS.maintenance, ...labels };
  const same = (g: ApiGroup) => {
    const have = Object.entries(g.labels ?? {}).filter(([, v]) => v !== '');
    return (
      have.length === Object.keys(want).length &&
      have.every(([k, v]) => want[k as keyof typeof want] === v)
    );
  };
  const group = (body.data ?? []).find(same);
  const family = group?.[METRICS.maintenanceTasks.name] as
    | { metrics?: { labels?: Record<string, string>; value?: string }[] }
    | undefined;
  const out = new Map<string, number>();
  for (const s of family?.metrics ?? []) {
    const task = s.labels?.['task_type'];
    const v = Number(s.value);
    if (task && Number.isFinite(v) && v >= 0) out.set(task, v);
  }
  return out;
}

/** What the run's push holds. */
export interface MaintenanceMetrics {
  counts: Map<string, number>;
  success: boolean;
  body: string;
}

/**
 * The families of one maintenance run. The counter carries every task_type
 * the group already has (a POST replaces a whole family), each increased by
 * the runs of that procedure now; the last-maintenance timestamp only when
 * the run succeeded, so a failure never moves it.
 */
export function maintenanceMetrics(
  results: StepResult[],
  previous: Map<string, number>,
  success: boolean,
): MaintenanceMetrics {
  const counts = new Map(previous);
  for (const r of results)
    if (r.status !== 'skipped')
      counts.set(r.procedure, (counts.get(r.procedure) ?? 0) + 1);
  const last = new Map<string, Status>();
  for (const r of results) last.set(r.procedure, r.status);
  const latestEnd = Math.max(0, ...results.map((r) => Date.parse(r.endedAt)));
  const families: Family[] = [
    {
      ...METRICS.maintenanceTasks,
      type: 'counter',
      samples: [...counts].map(([task_type, value]) => ({
        labels: { task_type },
        value,
      })),
    },
    {
      ...METRICS.maintenanceSuccess,
      type: 'gauge',
      samples: [{ labels: {}, value: success ? 1 : 0 }],
    },
    {
      ...TASK_STATUS,
      type: 'gauge',
      samples: [...last]
        .filter(([, s]) => STATUS_VALUE[s] !== undefined)
        .map(([task_type, s]) => ({
          labels: { task_type },
          value: STATUS_VALUE[s] ?? 0,
        })),
    },
  ];
  if (success)
    families.push({
      ...METRICS.lastMaintenance,
      type: 'gauge',
      samples: [{ labels: {}, value: Math.round(latestEnd / 1000) }],
    });
  return { counts, success, body: labelledExposition(families) };
}

/**
 * POSTs the families to the maintenance group: only the families named are
 * replaced, so a failed run leaves the last success timestamp in place.
 */
export async function pushMaintenance(
  base: URL,
  labels: Record<string, string>,
  body: string,
): Promise<void> {
  const url = groupUrl(base, JOBS.maintenance, labels);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
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
