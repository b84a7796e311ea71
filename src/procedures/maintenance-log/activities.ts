import type { StepResult } from '../../report/step-result.js';

/** A runbook activity and the procedure that performs it. */
export interface Activity {
  procedure: string;
  /** The runbook's name for it. */
  activity: string;
  cadence: 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'emergency';
}

/**
 * The runbook's scheduled and emergency activities, by procedure (including
 * those not built yet, so their logs read right the day they are).
 */
export const ACTIVITIES: readonly Activity[] = [
  { procedure: 'health', activity: 'System health checks', cadence: 'daily' },
  {
    procedure: 'housekeeping',
    activity: 'Log rotation and cleanup',
    cadence: 'daily',
  },
  { procedure: 'backup', activity: 'Backup', cadence: 'daily' },
  { procedure: 'rollout', activity: 'Security updates', cadence: 'weekly' },
  {
    procedure: 'performance',
    activity: 'Performance optimization',
    cadence: 'weekly',
  },
  {
    procedure: 'backup-verify',
    activity: 'Backup verification',
    cadence: 'weekly',
  },
  {
    procedure: 'capacity',
    activity: 'Capacity planning review',
    cadence: 'monthly',
  },
  {
    procedure: 'cert-rotate',
    activity: 'Certificate rotation',
    cadence: 'monthly',
  },
  { procedure: 'compliance', activity: 'Compliance audit', cadence: 'monthly' },
  {
    procedure: 'inventory',
    activity: 'Major version updates',
    cadence: 'quarterly',
  },
  {
    procedure: 'dr-test',
    activity: 'Disaster recovery testing',
    cadence: 'quarterly',
  },
  {
    procedure: 'restore',
    activity: 'Restore from backup',
    cadence: 'emergency',
  },
  { procedure: 'scale', activity: 'Emergency scale', cadence: 'emergency' },
  {
    procedure: 'incident',
    activity: 'Incident response',
    cadence: 'emergency',
  },
];

/** The four activities of the runbook's log template, always listed. */
const TEMPLATE = ['rollout', 'performance', 'backup-verify', 'cert-rotate'];

/** How one activity went in this run. */
export interface ActivityLine {
  activity: string;
  procedure: string;
  /** Ticked: it ran, and every run of it passed (ok or warning) and applied. */
  done: boolean;
  /** Words after the name: "backup: ✅ ok", "not run", "planned, not applied". */
  note: string;
  /** Results of its procedure in this run. */
  results: StepResult[];
}

/**
 * A mutating run in plan mode: it planned changes (its `plan` check says how
 * many) but made none, so the activity was not performed.
 */
export function plannedOnly(r: StepResult): boolean {
  const plan = r.checks.find((c) => c.name === 'plan');
  const planned = Number(/^(\d+) change/.exec(plan?.observed ?? '')?.[1] ?? 0);
  return plan !== undefined && planned > 0 && r.changes.length === 0;
}

/**
 * The checklist: every procedure that ran, in order (unknown ones by name),
 * then the template's four activities and the cadence's that did not run;
 * each ticked only by what actually ran and passed.
 */
export function activityLines(
  results: StepResult[],
  cadence: string,
): ActivityLine[] {
  const byProc = new Map<string, StepResult[]>();
  for (const r of results)
    byProc.set(r.procedure, [...(byProc.get(r.procedure) ?? []), r]);
  const order: string[] = [...byProc.keys()];
  const expected = [
    ...TEMPLATE,
    ...ACTIVITIES.filter((a) => a.cadence === cadence).map((a) => a.procedure),
  ];
  for (const p of expected) if (!order.includes(p)) order.push(p);
  return order.map((procedure) => {
    const rs = byProc.get(procedure) ?? [];
    const known = ACTIVITIES.find((a) => a.procedure === procedure);
    return {
      activity: known?.activity ?? procedure,
      procedure,
      results: rs,
      ...verdict(rs),
    };
  });
}

function verdict(rs: StepResult[]): { done: boolean; note: string } {
  if (rs.length === 0) return { done: false, note: 'not run' };
  const failed = rs.filter((r) => r.status === 'failed');
  const planned = rs.filter(plannedOnly);
  if (failed.length > 0)
    return { done: false, note: `failed (${failed.length}/${rs.length} runs)` };
  if (planned.length === rs.length)
    return { done: false, note: 'planned, not applied' };
  if (rs.every((r) => r.status === 'skipped'))
    return { done: false, note: 'skipped' };
  const warned = rs.some((r) => r.status === 'warning');
  return { done: true, note: warned ? 'passed with warnings' : 'passed' };
}
