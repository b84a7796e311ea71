import type { Approval } from '../../github/issues.js';
import { renderResult, statusLabel } from '../../report/markdown.js';
import {
  worst,
  type Status,
  type StepResult,
} from '../../report/step-result.js';
import { activityLines } from './activities.js';
import type { Unreadable } from './collect.js';
import { fitSections, type Fit, type Fold } from './fit.js';
import { inline, safeResult } from './text.js';

/** Everything the log is made of. */
export interface LogModel {
  /** YYYY-MM-DD (UTC) of the earliest start. */
  date: string;
  cadence: string;
  environment: string;
  workflow?: string;
  results: StepResult[];
  unreadable: Unreadable[];
  missing: string[];
  /** Problems of the log's own work (the metrics push). */
  ownIssues: string[];
  actor?: string;
  approvals: Approval[];
  runUrl?: string;
  /** Whether the run's metrics reached the Pushgateway. */
  metrics: 'pushed' | 'failed' | 'off';
  /** When the log itself ran: the duration when there are no results. */
  startedAt: Date;
  endedAt: Date;
}

/** The maintenance's status: the worst result; warning when results are missing or unreadable. */
export function maintenanceStatus(m: LogModel): Status {
  const extra: Status[] =
    m.unreadable.length > 0 || m.missing.length > 0 || m.results.length === 0
      ? ['warning']
      : [];
  return worst([...m.results.map((r) => r.status), ...extra]);
}

const box = (done: boolean): string => (done ? '- [x]' : '- [ ]');
const iso = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function span(m: LogModel): { start: number; end: number } {
  const starts = m.results.map((r) => Date.parse(r.startedAt));
  const ends = m.results.map((r) => Date.parse(r.endedAt));
  return starts.length > 0
    ? { start: Math.min(...starts), end: Math.max(...ends) }
    : { start: m.startedAt.getTime(), end: m.endedAt.getTime() };
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${min} min` : `${min} min ${s % 60} s`;
}

/** Results that changed something, and when the first began and the last ended. */
function mutations(rs: StepResult[]): {
  list: StepResult[];
  firstStart?: number;
  lastEnd?: number;
} {
  const list = rs.filter((r) => r.changes.length > 0);
  if (list.length === 0) return { list };
  return {
    list,
    firstStart: Math.min(...list.map((r) => Date.parse(r.startedAt))),
    lastEnd: Math.max(...list.map((r) => Date.parse(r.endedAt))),
  };
}

function label(r: StepResult): string {
  return `${inline(r.procedure)} ${statusLabel(r.status)}`;
}

function preStatus(m: LogModel): string[] {
  const mut = mutations(m.results);
  const health = m.results.filter((r) => r.procedure === 'health');
  const pre =
    mut.firstStart === undefined
      ? health[0]
      : health.filter((r) => Date.parse(r.endedAt) <= (mut.firstStart ?? 0))[0];
  if (!pre)
    return [
      `- Service Health: not checked (no health run${mut.firstStart === undefined ? '' : ' before the first change'})`,
      '- Resource Usage: not checked',
      '- Active Alerts: not checked',
    ];
  const res = pre.checks
    .filter((c) => c.name === 'cpu' || c.name === 'memory')
    .map(
      (c) =>
        `${inline(c.name)} ${statusLabel(c.status)} (${inline(c.observed)})`,
    );
  const alerts = pre.checks
    .filter((c) => c.status === 'failed' || c.status === 'warning')
    .map((c) => `${inline(c.name)} ${statusLabel(c.status)}`);
  return [
    `- Service Health: ${statusLabel(pre.status)}: ${inline(pre.summary)}`,
    `- Resource Usage: ${res.length > 0 ? res.join(', ') : 'not checked'}`,
    `- Active Alerts: ${alerts.length > 0 ? alerts.join(', ') : 'none among the health checks'}`,
  ];
}

function activities(m: LogModel): string[] {
  return activityLines(m.results, m.cadence).map((a) => {
    const name = inline(a.activity);
    const via = a.activity === a.procedure ? '' : ` (${inline(a.procedure)})`;
    return `${box(a.done)} ${name}${via}: ${a.note}`;
  });
}

function validation(m: LogModel): string[] {
  const mut = mutations(m.results);
  const after = (proc: string): StepResult | undefined =>
    m.results
      .filter(
        (r) =>
          r.procedure === proc &&
          (mut.lastEnd === undefined || Date.parse(r.startedAt) >= mut.lastEnd),
      )
      .at(-1);
  const check = (what: string, proc: string): string => {
    const r = after(proc);
    const when = mut.lastEnd === undefined ? '' : ' after the changes';
    if (!r) return `- [ ] ${what}: not run${when}`;
    const passed = r.status === 'ok' || r.status === 'warning';
    return `${box(passed)} ${what}: ${label(r)}${when}: ${inline(r.summary)}`;
  };
  const out = [
    check('Service health check', 'health'),
    check('Performance verification', 'performance'),
    m.metrics === 'pushed'
      ? '- [x] Alert validation: the maintenance metrics reached the Pushgateway the alert rules read'
      : `- [ ] Alert validation: ${m.metrics === 'failed' ? 'the metrics push failed' : 'no pushgateway-url, metrics not pushed'}`,
    '- [ ] User acceptance test: manual',
  ];
  for (const r of mut.list) {
    const passed = r.status === 'ok' || r.status === 'warning';
    out.push(
      `${box(passed)} ${inline(r.procedure)}: ${r.changes.length} change(s) ${passed ? 'made and verified' : `made, ${statusLabel(r.status)}`}: ${inline(r.summary)}`,
    );
  }
  return out;
}

/** Issues Encountered: failed and warning checks, unreadable results, the log's own problems. */
export function issueLines(m: LogModel): string[] {
  const out: string[] = [];
  for (const r of m.results) {
    const bad = r.checks.filter(
      (c) => c.status === 'failed' || c.status === 'warning',
    );
    for (const c of bad)
      out.push(
        `- **${inline(r.procedure)}** ${inline(c.name)} ${statusLabel(c.status)}: ${inline(c.observed)}${c.detail ? ` (${inline(c.detail)})` : ''}`,
      );
    if (bad.length === 0 && r.status === 'failed')
      out.push(
        `- **${inline(r.procedure)}** ${statusLabel(r.status)}: ${inline(r.summary)}`,
      );
  }
  for (const u of m.unreadable)
    out.push(`- Unreadable result ${inline(u.path)}: ${inline(u.why)}`);
  for (const d of m.missing)
    out.push(
      `- Results folder ${inline(d)} does not exist (was its artifact uploaded?)`,
    );
  if (m.results.length === 0)
    out.push('- No results were found: nothing to log');
  out.push(...m.ownIssues.map((i) => `- ${inline(i)}`));
  return out;
}

/** Next Maintenance Items: every follow-up, once. */
export function nextItems(m: LogModel): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of m.results)
    for (const f of r.followUps) {
      const text = inline(f).replace(/\s+/g, ' ');
      if (text === '' || seen.has(text)) continue;
      seen.add(text);
      out.push(`- ${text}`);
    }
  return out;
}

function performedBy(m: LogModel): string {
  const who = m.actor ? inline(m.actor) : 'unknown';
  if (m.approvals.length === 0) return `Performed by: ${who}`;
  const approvers = m.approvals.map(
    (a) =>
      `${inline(a.login)}${a.environments.length > 0 ? ` (${a.environments.map(inline).join(', ')})` : ''}`,
  );
  return `Performed by: ${who}; approved by ${approvers.join(', ')}`;
}

function headline(m: LogModel): string {
  const st = maintenanceStatus(m);
  const procs = m.results.map(label).join(', ');
  const where = [
    `environment ${inline(m.environment)}`,
    m.workflow ? `workflow ${inline(m.workflow)}` : '',
    `cadence ${inline(m.cadence)}`,
  ].filter(Boolean);
  return `**${statusLabel(st)}**: ${m.results.length} procedure run(s)${procs ? ` (${procs})` : ''}; ${where.join(', ')}`;
}

/** One `<details>` fold per result: its report, made safe. */
function reportFold(r: StepResult): Fold {
  let summary = `${label(r)}: ${inline(r.summary)}`;
  if (summary.length > 300) summary = `${summary.slice(0, 297)}...`;
  return {
    body: renderResult(safeResult(r)),
    wrap: (body) =>
      `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`,
  };
}

/**
 * The runbook's maintenance-log template, filled in, with each procedure's
 * report folded below. With `fit`, it stays within `fit.limit` (as
 * `fit.measure` counts): the folded reports are cut first, then the issue and
 * follow-up lists; the status, checklists and the link to the run never are.
 */
export function renderLog(m: LogModel, fit?: Fit): string {
  const { start, end } = span(m);
  const head = (issues: string[], next: string[]): string =>
    [
      `# Maintenance Log - ${m.date}`,
      '',
      headline(m),
      '',
      '## Pre-maintenance Status',
      ...preStatus(m),
      '',
      '## Maintenance Activities',
      ...activities(m),
      '',
      '## Post-maintenance Validation',
      ...validation(m),
      '',
      '## Issues Encountered',
      ...(issues.length > 0 ? issues : ['- None']),
      '',
      '## Next Maintenance Items',
      ...(next.length > 0 ? next : ['- None']),
      '',
      performedBy(m),
      '',
      `Duration: ${iso(start)} - ${iso(end)} (${duration(end - start)})`,
      ...(m.runUrl ? ['', `Run: ${m.runUrl}`] : []),
    ].join('\n');
  return fitSections(
    { head, issues: issueLines(m), next: nextItems(m) },
    m.results.map(reportFold),
    fit,
  );
}
