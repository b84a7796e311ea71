// deploy/monitoring/alerts.yaml: promtool checks it and runs its unit tests
// (alerts.test.yaml); every alert is tested firing and quiet; the runbook's
// two rules are there as written; every metric the rules and the dashboard
// read is one the suite pushes.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/prometheus/catalog.js';
import { ALERT_RULES, dashboardTargets } from './peers.js';

const dir = dirname(ALERT_RULES);
const promtool = process.env['PROMTOOL_BIN'] ?? 'promtool';

function promtoolRun(
  args: string[],
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(promtool, args, { cwd: dir }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        output: stdout + stderr,
      }),
    );
  });
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface UnitTests {
  rule_files: string[];
  tests: {
    alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
  }[];
}

const rules = parse(readFileSync(ALERT_RULES, 'utf8')) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules);
const names = [...new Set(alerts.map((r) => r.alert ?? ''))];

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    const r = await promtoolRun(['check', 'rules', 'alerts.yaml']);
    expect(r.output).toContain('SUCCESS: 14 rules found');
    expect(r.code, r.output).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const r = await promtoolRun(['test', 'rules', 'alerts.test.yaml']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('each alert is tested firing and quiet', () => {
    const t = parse(
      readFileSync(join(dir, 'alerts.test.yaml'), 'utf8'),
    ) as UnitTests;
    expect(t.rule_files).toEqual(['alerts.yaml']);
    const cases = t.tests.flatMap((x) => x.alert_rule_test ?? []);
    for (const n of names) {
      const mine = cases.filter((c) => c.alertname === n);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${n} firing`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${n} quiet`,
      ).toBe(true);
    }
  });

  it("keep the runbook's MaintenanceRequired and BackupFailure as written", () => {
    const g = rules.groups.find((x) => x.name === 'maintenance-alerts');
    expect(g?.rules).toEqual([
      {
        alert: 'MaintenanceRequired',
        expr: 'time() - pqc_last_maintenance_timestamp > 86400 * 7',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Weekly maintenance overdue',
          description:
            'System maintenance has not been performed in over 7 days',
        },
      },
      {
        alert: 'BackupFailure',
        expr: 'pqc_backup_success == 0',
        for: '1h',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'Backup failure detected',
          description: 'Automated backup has failed',
        },
      },
    ]);
    expect(names).toEqual([
      'MaintenanceRequired',
      'BackupFailure',
      'BackupStale',
      'BackupVerificationFailed',
      'CertificateExpiringSoon',
      'QuantumVulnerableCertificates',
      'MaintenanceRunFailed',
      'MetricsMissing',
      'MetricsNotPushed',
      'PerformanceRegression',
      'CapacityWarnLevelForecast',
      'CapacityFullSoon',
      'ComplianceAuditFailed',
      'ReviewIncomplete',
    ]);
  });

  it('read only metrics the suite pushes, and the dashboard lists every alert', () => {
    const pushed = new Set<string>(Object.values(METRICS).map((m) => m.name));
    const exprs = [
      ...alerts.map((r) => r.expr),
      ...dashboardTargets().map((e) => e.expr),
    ];
    const used = new Set(exprs.flatMap((e) => e.match(/\bpqc_\w+/g) ?? []));
    expect([...used].filter((m) => !pushed.has(m))).toEqual([]);
    // The dashboard shows every metric of the catalogue somewhere.
    const shown = new Set(
      dashboardTargets().flatMap((e) => e.expr.match(/\bpqc_\w+/g) ?? []),
    );
    expect([...pushed].filter((m) => !shown.has(m))).toEqual([]);
    const active = dashboardTargets().find((e) => e.expr.includes('ALERTS'));
    const listed = /alertname=~"([^"]+)"/.exec(active?.expr ?? '')?.[1];
    expect(listed?.split('|').sort()).toEqual([...names].sort());
  });
});
