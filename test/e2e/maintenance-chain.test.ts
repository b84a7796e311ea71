// The daily chain end to end, as the workflows run it: the health and backup
// bundles (each its own job, its results uploaded) against kube-sim, a real
// PostgreSQL and the real Pushgateway, then the maintenance-log bundle over
// the downloaded results, commenting through the simulated GitHub API. A real
// Prometheus scrapes the Pushgateway with deploy/monitoring/alerts.yaml
// loaded and evaluates the rules every second: the counter's increase() over
// one run, MaintenanceRequired on an old last success, BackupFailure and
// MaintenanceRunFailed after a failed backup.
//
// BackupFailure waits `for: 1h`, as the runbook has it. Besides the file as
// shipped, Prometheus loads a copy of its `for:` rules with `for: 2s` and the
// label copy="for-shortened": the shipped rule is shown pending, the copy
// (the same expression) firing. promtool covers the hour (alerts.test.yaml).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionEntry, runBundle, type BundleRun } from '../helpers/bundle.js';
import {
  startGitHubApi,
  waitForSample,
  type GitHubApi,
} from '../services/index.js';
import {
  ALERT_RULES,
  alertsOf,
  CRYPTO_COMMAND,
  startPeers,
  waitForAlert,
  type ApiAlert,
  type Peers,
} from '../monitoring/peers.js';

const OWNER = 'acme';
const REPO = 'service';
const ISSUE = 5;
const COPY = 'for-shortened';

/** The runbook's maintenance-log template: every heading and item. */
const TEMPLATE: (string | RegExp)[] = [
  /^# Maintenance Log - \d{4}-\d{2}-\d{2}$/m,
  /^## Pre-maintenance Status$/m,
  /^- Service Health: /m,
  /^- Resource Usage: /m,
  /^- Active Alerts: /m,
  /^## Maintenance Activities$/m,
  /^- \[[ x]\] Security updates\b/m,
  /^- \[[ x]\] Performance optimization\b/m,
  /^- \[[ x]\] Backup verification\b/m,
  /^- \[[ x]\] Certificate rotation\b/m,
  /^## Post-maintenance Validation$/m,
  /^- \[[ x]\] Service health check\b/m,
  /^- \[[ x]\] Performance verification\b/m,
  /^- \[[ x]\] Alert validation\b/m,
  /^- \[[ x]\] User acceptance test\b/m,
  /^## Issues Encountered$/m,
  /^## Next Maintenance Items$/m,
  /^Performed by: /m,
  /^Duration: \S+ - \S+/m,
];

let peers: Peers;
let api: GitHubApi;
let destination: string;
let recipient: string;
let runId = 1000;

interface RuleFile {
  groups: {
    name: string;
    rules: { for?: string; labels?: Record<string, string> }[];
  }[];
}

/** The shipped rules that wait (`for:`), waiting 2 s instead, labelled. */
function shortenedCopy(): string {
  const doc = parse(readFileSync(ALERT_RULES, 'utf8')) as RuleFile;
  for (const g of doc.groups) {
    g.name = `${g.name}-${COPY}`;
    g.rules = g.rules
      .filter((r) => r.for !== undefined)
      .map((r) => ({
        ...r,
        for: '2s',
        labels: { ...r.labels, copy: COPY },
      }));
  }
  doc.groups = doc.groups.filter((g) => g.rules.length > 0);
  const file = join(mkdtempSync(join(tmpdir(), 'pqc-ops-rules-')), 'copy.yml');
  writeFileSync(file, stringify(doc));
  return file;
}

beforeAll(async () => {
  // Fail fast on a dist/ built from other sources.
  for (const a of ['health', 'backup', 'maintenance-log']) actionEntry(a);
  [peers, api] = await Promise.all([
    startPeers([ALERT_RULES, shortenedCopy()]),
    startGitHubApi(),
  ]);
  destination = mkdtempSync(join(tmpdir(), 'pqc-ops-e2e-backups-'));
  recipient = await age.identityToRecipient(await age.generateIdentity());
}, 240_000);
afterAll(async () => {
  await Promise.allSettled([peers?.close(), api?.close()]);
});

/** The results folder a job leaves (what its artifact upload takes). */
const resultsOf = (r: BundleRun) => join(r.runnerTemp, 'pqc-ops', 'results');

async function healthJob(): Promise<BundleRun> {
  const { sim, app, gw } = peers;
  const r = await runBundle('health', {
    kubeconfig: sim.kubeconfigPath,
    'health-url': `${app.url}/health`,
    'crypto-check': 'command',
    'crypto-command': CRYPTO_COMMAND,
    'backup-dir': destination,
    'pushgateway-url': gw.url,
  });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

async function backupJob(database = 'pqc_audit'): Promise<BundleRun> {
  const { sim, pg, gw } = peers;
  return runBundle('backup', {
    'database-url': pg.url(database),
    kubeconfig: sim.kubeconfigPath,
    'config-selector': 'app=pqc-audit',
    'appdata-selector': 'app=pqc-audit',
    destination,
    'age-recipients': recipient,
    'pushgateway-url': gw.url,
  });
}

/** The daily chain: health, then backup; the results folders of both jobs. */
async function dailyChain(): Promise<string[]> {
  const h = await healthJob();
  const b = await backupJob();
  expect(b.code, b.stdout + b.stderr).toBe(0);
  return [resultsOf(h), resultsOf(b)];
}

/** The log job over downloaded results. */
async function logJob(
  results: string[],
  inputs: Record<string, string>,
): Promise<BundleRun & { log: string }> {
  const r = await runBundle(
    'maintenance-log',
    {
      'results-dir': results.join('\n'),
      'github-token': api.token,
      environment: 'production',
      cadence: 'daily',
      labels: 'maintenance',
      ...inputs,
    },
    {
      GITHUB_API_URL: api.url,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_WORKFLOW: 'Daily maintenance',
      GITHUB_RUN_ID: String(++runId),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_ACTOR: 'octocat',
    },
  );
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { ...r, log: readFileSync(r.outputs['log-file'] ?? '', 'utf8') };
}

const tasks = (task: string) =>
  `pqc_maintenance_tasks_total{job="pqc-ops-maintenance",environment="production",task_type="${task}"}`;

/**
 * increase() over exactly the scrapes Prometheus holds, from the first one
 * (just after the first push) to the last: a window 1 ms wider than the
 * samples, so the extrapolation adds at most that millisecond.
 */
async function increaseOverAllScrapes(series: string): Promise<number> {
  const m = (await peers.prom.query(`${series}[10m]`)) as {
    result: { values: [number, string][] }[];
  };
  const values = m.result[0]?.values ?? [];
  expect(values.length).toBeGreaterThan(2);
  const [first] = values[0];
  const [last] = values.at(-1)!;
  const ms = Math.round((last - first) * 1000) + 1;
  const url = `${peers.prom.url}/api/v1/query?${new URLSearchParams({
    query: `increase(${series}[${ms}ms])`,
    time: String(last),
  }).toString()}`;
  const body = (await (await fetch(url)).json()) as {
    data: { result: { value: [number, string] }[] };
  };
  return Number(body.data.result[0]?.value[1]);
}

const isAlert =
  (name: string, state: ApiAlert['state'], copy: boolean) => (a: ApiAlert) =>
    a.labels['alertname'] === name &&
    a.state === state &&
    (a.labels['copy'] === COPY) === copy;

describe('the daily chain and its maintenance log, end to end', () => {
  let secondRun: string[] = [];

  it('logs every section of the template, comments once, updates the comment, and increase() is 1 per run', async () => {
    const first = await logJob(await dailyChain(), {
      'comment-on': 'issue',
      'issue-number': String(ISSUE),
      'pushgateway-url': peers.gw.url,
    });
    for (const part of TEMPLATE) expect(first.log).toMatch(part);
    expect(first.log).toMatch(/^- \[x\] System health checks \(health\)/m);
    expect(first.log).toMatch(/^- \[x\] Backup \(backup\): /m);
    expect(first.summary).toContain('## Post-maintenance Validation');
    const created = api.comments(OWNER, REPO, ISSUE);
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toContain('## Maintenance Activities');
    const writes = () =>
      api.requests
        .filter((q) => q.method !== 'GET')
        .map((q) => `${q.method} ${q.path.replace(/\d+$/, 'N')}`);
    expect(writes()).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`,
    ]);
    // health pushed its status: degraded, as no archive existed before the
    // first backup.
    const healthGroup = { job: 'pqc-ops-health', namespace: 'pqc-audit' };
    expect(await peers.gw.sample('pqc_health_status', healthGroup)).toBe(0.5);
    expect(
      await peers.gw.sample('pqc_health_check_status', {
        ...healthGroup,
        check: 'backup',
      }),
    ).toBe(0.5);
    // Prometheus holds the counter at 1 before the second run...
    await waitForSample(peers.prom, tasks('health'), (v) => v === 1);

    secondRun = await dailyChain();
    const second = await logJob(secondRun, {
      'comment-on': 'issue',
      'issue-number': String(ISSUE),
      'pushgateway-url': peers.gw.url,
    });
    for (const part of TEMPLATE) expect(second.log).toMatch(part);
    expect(await peers.gw.sample('pqc_health_status', healthGroup)).toBe(1);
    const updated = api.comments(OWNER, REPO, ISSUE);
    expect(updated).toHaveLength(1);
    expect(updated[0]?.id).toBe(created[0]?.id);
    expect(updated[0]?.body).toContain(`/runs/${runId}`);
    expect(writes()).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`,
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/N`,
    ]);
    // ...and at 2 after it: one run, an increase of 1 per procedure.
    await waitForSample(peers.prom, tasks('health'), (v) => v === 2);
    await waitForSample(peers.prom, tasks('backup'), (v) => v === 2);
    expect(await increaseOverAllScrapes(tasks('health'))).toBeCloseTo(1, 2);
    expect(await increaseOverAllScrapes(tasks('backup'))).toBeCloseTo(1, 2);
  }, 300_000);

  it('new-issue opens one issue titled with the date and cadence', async () => {
    const r = await logJob(secondRun, { 'comment-on': 'new-issue' });
    const issues = api.issues(OWNER, REPO);
    expect(issues).toHaveLength(1);
    const date = /^# Maintenance Log - (\S+)$/m.exec(r.log)?.[1];
    expect(issues[0]?.title).toBe(`Maintenance Log - ${date} (daily)`);
    expect(issues[0]?.labels.map((l) => l.name)).toEqual(['maintenance']);
    expect(issues[0]?.body).toContain('## Next Maintenance Items');
  }, 120_000);

  it('Prometheus fires MaintenanceRequired when the last success is 8 days old, and a successful run clears it', async () => {
    const { gw, prom } = peers;
    // The group as a week of failed or missing runs leaves it.
    const old = Math.floor(Date.now() / 1000) - 8 * 86400;
    const res = await fetch(
      `${gw.url}/metrics/job/pqc-ops-maintenance/environment/production`,
      {
        method: 'POST',
        body: `# TYPE pqc_last_maintenance_timestamp gauge\npqc_last_maintenance_timestamp ${old}\n`,
      },
    );
    expect(res.status).toBe(200);
    const fired = await waitForAlert(
      prom,
      isAlert('MaintenanceRequired', 'firing', false),
    );
    expect(fired.labels).toMatchObject({
      severity: 'warning',
      job: 'pqc-ops-maintenance',
      environment: 'production',
    });
    expect(fired.annotations['summary']).toBe('Weekly maintenance overdue');

    await logJob(secondRun, {
      'comment-on': 'none',
      'pushgateway-url': gw.url,
    });
    await expect
      .poll(
        async () =>
          (await alertsOf(prom)).filter(
            (a) => a.labels['alertname'] === 'MaintenanceRequired',
          ),
        { timeout: 20_000, interval: 250 },
      )
      .toEqual([]);
  }, 120_000);

  it('Prometheus fires BackupFailure after a failed backup, and MaintenanceRunFailed after its log', async () => {
    const { prom, gw } = peers;
    const h = await healthJob();
    const b = await backupJob('no_such_database');
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/::error::backup: /);
    const firing = await waitForAlert(
      prom,
      isAlert('BackupFailure', 'firing', true),
    );
    expect(firing.labels).toMatchObject({
      severity: 'critical',
      job: 'pqc-ops-backup',
      instance: 'pqc-audit-backup',
    });
    // The shipped rule, on the same series, waits its hour.
    const pending = await waitForAlert(
      prom,
      isAlert('BackupFailure', 'pending', false),
    );
    expect(pending.labels['instance']).toBe('pqc-audit-backup');

    const log = await logJob([resultsOf(h), resultsOf(b)], {
      'comment-on': 'none',
      'pushgateway-url': gw.url,
    });
    expect(log.log).toMatch(/^- \*\*backup\*\* backup ❌ failed: /m);
    const failed = await waitForAlert(
      prom,
      isAlert('MaintenanceRunFailed', 'firing', false),
    );
    expect(failed.labels['environment']).toBe('production');
  }, 180_000);
});
