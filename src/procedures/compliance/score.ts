/** The score and the control-by-control view of a set of evaluations. */
import { table } from '../../report/markdown.js';
import {
  CONTROLS,
  controlOrder,
  SEVERITIES,
  WEIGHT,
  type Evaluation,
  type Severity,
} from './controls.js';

/**
 * 100 × the weight of the checks passed / the weight of all checks, weights
 * by severity (critical 4, high 3, medium 2, low 1), to one decimal; 100 when
 * nothing was checked.
 */
export function score(evals: Evaluation[]): number {
  const total = evals.reduce((a, e) => a + WEIGHT[e.severity], 0);
  if (total === 0) return 100;
  const passed = evals
    .filter((e) => e.passed)
    .reduce((a, e) => a + WEIGHT[e.severity], 0);
  return Math.floor((1000 * passed) / total) / 10;
}

/** One control's line of the report. */
export interface ControlRow {
  control: string;
  title: string;
  checks: number;
  passed: number;
  failed: number;
  /** The rules with findings under it. */
  rules: string[];
}

/** Every control any evaluation maps to, in catalogue order. */
export function controlRows(evals: Evaluation[]): ControlRow[] {
  const ids = [...new Set(evals.flatMap((e) => e.controls))].sort(controlOrder);
  return ids.map((control) => {
    const under = evals.filter((e) => e.controls.includes(control));
    const failed = under.filter((e) => !e.passed);
    return {
      control,
      title: CONTROLS[control] ?? '',
      checks: under.length,
      passed: under.length - failed.length,
      failed: failed.length,
      rules: [...new Set(failed.map((e) => e.rule))],
    };
  });
}

/** The control-by-control table, as the runbook's NIST compliance report reads. */
export function controlTable(rows: ControlRow[]): string {
  return table(
    ['Control', 'Title', 'Checks', 'Passed', 'Failed', 'Status', 'Findings'],
    rows.map((r) => [
      r.control,
      r.title,
      r.checks,
      r.passed,
      r.failed,
      r.failed ? '❌ not satisfied' : '✅ satisfied',
      r.rules.join(', '),
    ]),
  );
}

/** Findings only, most severe first. */
export function findingsOf(evals: Evaluation[]): Evaluation[] {
  return evals
    .filter((e) => !e.passed)
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        a.rule.localeCompare(b.rule) ||
        a.object.localeCompare(b.object),
    );
}

/** Rows of the findings table shown; every finding is in the JSON artifact. */
export const MAX_FINDING_ROWS = 200;

/** The findings table: severity, rule, object, finding, fix, controls. */
export function findingsTable(findings: Evaluation[]): string {
  const shown = findings.slice(0, MAX_FINDING_ROWS);
  const more =
    findings.length > shown.length
      ? `\n\n${findings.length - shown.length} more finding(s) in the JSON artifact.`
      : '';
  return (
    table(
      ['Severity', 'Rule', 'Object', 'Finding', 'Fix', 'Controls'],
      shown.map((f) => [
        f.severity,
        f.rule,
        f.object,
        f.message ?? '',
        f.fix ?? '',
        f.controls.join(', '),
      ]),
    ) + more
  );
}

/** Findings by severity, every severity present (0 when none). */
export function countBySeverity(
  findings: Evaluation[],
): Record<Severity, number> {
  const out = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}
