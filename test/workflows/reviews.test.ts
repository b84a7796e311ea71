// The read-only reviews in their cadences, run as written: weekly.yml's
// performance job and maintenance-monthly.yml's capacity and compliance jobs,
// against a real Prometheus loaded with a week of history, kube-sim with RBAC
// on (each job under its own identity from deploy/rbac/), the real
// Pushgateway and the simulated GitHub API. Ungated, before the log job, and
// a failure of theirs is in the maintenance log.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import { openMetrics } from '../helpers/openmetrics.js';
import {
  startGitHubApi,
  startPrometheus,
  startPushgateway,
  type GitHubApi,
  type PrometheusServer,
  type Pushgateway,
} from '../services/index.js';
import { weekOfCapacity } from '../procedures/capacity/history.js';
import { weekOfHistory } from '../procedures/performance/history.js';
import {
  forbidden,
  PQC_OPS,
  pqcOpsSnapshot,
  startServiceSim,
  V1_SHA,
  type Identities,
} from './fixtures.js';
import { WorkflowRun, type World } from './runner.js';

const TOKEN = 'prom-token-never-in-logs';
let api: GitHubApi;
let gw: Pushgateway;
let prom: PrometheusServer;
let sim: KubeSim;
let kube: Identities;

beforeAll(async () => {
  const now = Date.now() / 1000;
  const history = [
    ...weekOfHistory(now, 86_400).series,
    ...weekOfCapacity(now).series,
  ];
  [api, gw, prom] = await Promise.all([
    startGitHubApi(),
    startPushgateway(),
    startPrometheus({ history: openMetrics(history) }),
  ]);
  ({ sim, kube } = await startServiceSim(undefined));
  sim.setNodeMetrics('sim-node-1', '1500m', '4Gi');
}, 240_000);
afterAll(async () => {
  await Promise.all([api?.close(), gw?.stop(), prom?.stop(), sim?.close()]);
});

function world(over: Partial<World> = {}, files: Record<string, string> = {}) {
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main'], files) },
    repository: PQC_OPS,
    event: { name: 'schedule', payload: {} },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {
      PQC_OPS_PROMETHEUS_URL: prom.url,
      PQC_OPS_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'wf-reviews-')),
    },
    secrets: {
      KUBECONFIG_READONLY: kube.readonly,
      PUSHGATEWAY_URL: gw.url,
      PROMETHEUS_TOKEN: TOKEN,
    },
    ...over,
  } satisfies World;
}

/**
 * A scheduled caller of maintenance-<cadence>.yml with these inputs, and
 * these secrets (a value, or '' for the repository's secret of that name).
 */
function callerOf(
  cadence: string,
  inputs: Record<string, string>,
  secrets: Record<string, string>,
): string {
  const lines = (
    o: Record<string, string>,
    value: (k: string, v: string) => string,
  ) => Object.entries(o).map(([k, v]) => `      ${k}: ${value(k, v)}`);
  return [
    `name: ${cadence}-reviews`,
    'on: schedule',
    'permissions: {}',
    'jobs:',
    `  ${cadence}:`,
    `    uses: ./.github/workflows/maintenance-${cadence}.yml`,
    '    permissions: { contents: read, actions: read, pull-requests: write, issues: write, id-token: write }',
    '    with:',
    ...lines(inputs, (_k, v) => v),
    '    secrets:',
    ...lines(secrets, (k, v) => v || `\${{ secrets.${k} }}`),
    '',
  ].join('\n');
}

const stepOf = (run: WorkflowRun, job: string, action: string) =>
  run.job(job).steps.find((s) => s.uses?.endsWith(`/actions/${action}`));

/** The Markdown maintenance log the log job wrote. */
function logText(run: WorkflowRun, job: string): string {
  const log = stepOf(run, job, 'maintenance-log');
  return readFileSync(log?.outputs['log-file'] ?? '', 'utf8');
}

/** The lines of a section of the log, up to the next heading. */
function section(text: string, heading: string): string {
  const from = text.indexOf(`## ${heading}`);
  expect(from, heading).toBeGreaterThanOrEqual(0);
  const rest = text.slice(from + heading.length + 3);
  return rest.slice(0, rest.search(/\n## |$/));
}

describe('weekly.yml: the performance review', () => {
  it('runs ungated with its own identity, fails on the regression, and the log says so', async () => {
    sim.clearJournal();
    const w = world();
    const run = new WorkflowRun({
      ...w,
      secrets: { ...w.secrets, KUBECONFIG_PERFORMANCE: kube.performance },
      approve: () => {
        throw new Error('nothing of the review is gated');
      },
    });
    await run.run('.github/workflows/weekly.yml');
    const job = run.job('weekly/performance');
    expect(job.result, run.log.join('\n')).toBe('failure');
    expect(job.environment).toBeUndefined();
    expect(job.outputs['regression']).toBe('true');
    const step = stepOf(run, 'weekly/performance', 'performance');
    expect(step?.inputs).toMatchObject({
      'prometheus-url': prom.url,
      'prometheus-token': TOKEN,
      query: 'pqc:scan_duration_p95_5m',
      recent: '24h',
      baseline: '6d',
      threshold: '20%',
      'fail-on-regression': 'true',
      'cluster-resources': 'true',
      kubeconfig: kube.performance,
      namespace: 'pqc-audit',
    });
    expect(step?.stdout).toMatch(
      /::error::performance: regression: pqc:scan_duration_p95_5m: recent [\d.]+ vs baseline [\d.]+: \+2\d\.\d%25 worse/,
    );
    // The token reached the request, never the output.
    for (const j of run.jobs)
      for (const s of j.steps)
        expect(
          (s.stdout + s.stderr + s.summary).replace(`::add-mask::${TOKEN}`, ''),
          `${j.path} ${s.label}`,
        ).not.toContain(TOKEN);
    expect(step?.summary).toContain('xychart-beta');
    expect(step?.summary).toContain('| nodes | ✅ ok |');
    expect([...job.secretsUsed].sort()).toEqual([
      'KUBECONFIG_PERFORMANCE',
      'PROMETHEUS_TOKEN',
      'PUSHGATEWAY_URL',
    ]);
    // Read-only, with the ClusterRole we ship: no refusal, no write.
    expect(forbidden(sim)).toEqual([]);
    expect(sim.writes().filter((x) => !x.path.includes('/leases'))).toEqual([]);
    expect(
      await gw.sample('pqc_performance_regression', {
        job: 'pqc-ops-performance',
      }),
    ).toBe(1);
    // The log ran after it, and its failure is there.
    expect(run.job('weekly/log').result).toBe('success');
    const text = logText(run, 'weekly/log');
    expect(section(text, 'Issues Encountered')).toMatch(
      /- \*\*performance\*\* regression: pqc:scan_duration_p95_5m ❌ failed: recent [\d.]+ vs baseline [\d.]+: \+2\d\.\d% worse/,
    );
    expect(section(text, 'Maintenance Activities')).toContain('performance');
  }, 300_000);

  it('without KUBECONFIG_PERFORMANCE reads Prometheus only, and fail-on-regression false only warns', async () => {
    const caller = callerOf(
      'weekly',
      {
        'backup-dir': '${{ vars.PQC_OPS_BACKUP_DIR }}',
        'prometheus-url': '${{ vars.PQC_OPS_PROMETHEUS_URL }}',
        'fail-on-regression': 'false',
        'log-comment-on': 'none',
      },
      { AGE_IDENTITY: 'unused', PUSHGATEWAY_URL: '' },
    );
    const run = new WorkflowRun(world({}, { 'review-caller.yml': caller }));
    await run.run('.github/workflows/review-caller.yml');
    expect(run.job('weekly/performance').result, run.log.join('\n')).toBe(
      'success',
    );
    const step = stepOf(run, 'weekly/performance', 'performance');
    expect(step?.inputs['cluster-resources']).toBe('false');
    expect(step?.inputs['kubeconfig']).toBe('');
    expect(step?.outputs['regression']).toBe('true');
    expect(step?.outputs['status']).toBe('warning');
    expect(section(logText(run, 'weekly/log'), 'Issues Encountered')).toMatch(
      /\*\*performance\*\* regression: pqc:scan_duration_p95_5m ⚠️ warning/,
    );
  }, 300_000);
});

/** The monthly caller with the reviews' inputs an adopter sets. */
const MONTHLY = callerOf(
  'monthly',
  {
    'prometheus-url': '${{ vars.PQC_OPS_PROMETHEUS_URL }}',
    'capacity-window': '7d',
    'compliance-command': "'true'",
    'log-comment-on': 'new-issue',
  },
  {
    KUBECONFIG_READONLY: '',
    KUBECONFIG_CAPACITY: '',
    KUBECONFIG_COMPLIANCE: '',
    PROMETHEUS_TOKEN: '',
    PUSHGATEWAY_URL: '',
  },
);

describe('maintenance-monthly.yml: capacity and compliance', () => {
  it('forecast and audit ungated, each with its own identity; the failed audit and the forecast are in the log', async () => {
    sim.clearJournal();
    const w = world({}, { 'review-caller.yml': MONTHLY });
    const run = new WorkflowRun({
      ...w,
      secrets: {
        ...w.secrets,
        KUBECONFIG_CAPACITY: kube.capacity,
        KUBECONFIG_COMPLIANCE: kube.compliance,
      },
      approve: () => {
        throw new Error('nothing is due: no one is asked');
      },
    });
    await run.run('.github/workflows/review-caller.yml');
    const results = Object.fromEntries(run.jobs.map((j) => [j.path, j.result]));
    expect(results, run.log.join('\n')).toMatchObject({
      'monthly/plan': 'success',
      'monthly/apply': 'skipped',
      'monthly/capacity': 'success',
      'monthly/compliance': 'failure',
      'monthly/log': 'success',
    });
    for (const j of ['capacity', 'compliance'])
      expect(run.job(`monthly/${j}`).environment).toBeUndefined();

    // capacity: the pqc-data volume reaches 80% in about 30 days.
    const capacity = stepOf(run, 'monthly/capacity', 'capacity');
    expect(capacity?.inputs).toMatchObject({
      'prometheus-url': prom.url,
      window: '7d',
      'warn-at': '80%',
      horizon: '90d',
      volumes: 'auto',
      kubeconfig: kube.capacity,
    });
    expect(Number(capacity?.outputs['days-to-warn'])).toBeCloseTo(30, 0);
    expect(capacity?.outputs['status']).toBe('warning');

    // compliance: the service's Deployment has no securityContext, no
    // probes, a tag instead of a digest, and no default-deny policy.
    const compliance = stepOf(run, 'monthly/compliance', 'compliance');
    expect(compliance?.inputs).toMatchObject({
      kubeconfig: kube.compliance,
      namespace: 'pqc-audit',
      selector: 'app=pqc-audit',
      'service-account': 'pqc-audit',
      'compliance-command': 'true',
      'fail-below': '80',
      'fail-on': 'high',
    });
    expect(Number(compliance?.outputs['score'])).toBeLessThan(80);
    const failed = (compliance?.outputs['failed-controls'] ?? '').split(',');
    for (const c of ['AC-6', 'SC-7', 'CM-6']) expect(failed).toContain(c);
    expect(run.job('monthly/compliance').outputs['failed-controls']).toBe(
      compliance?.outputs['failed-controls'],
    );
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_COMPLIANCE'))
        .map((j) => j.path),
    ).toEqual(['monthly/compliance']);
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_CAPACITY'))
        .map((j) => j.path),
    ).toEqual(['monthly/capacity']);
    // Each identity was enough (the SubjectAccessReviews included; the
    // read-only plan is refused the TLS Secrets, as meant), and nothing was
    // written.
    expect(
      forbidden(sim).filter((d) => !d.includes(':pqc-ops-readonly ')),
    ).toEqual([]);
    expect(
      sim.journal.filter((j) => j.path.includes('subjectaccessreviews')).length,
    ).toBeGreaterThan(0);
    expect(
      sim.writes().filter((x) => !/\/leases|subjectaccessreviews/.test(x.path)),
    ).toEqual([]);
    expect(
      await gw.sample('pqc_compliance_success', { job: 'pqc-ops-compliance' }),
    ).toBe(0);
    expect(
      await gw.sample('pqc_capacity_success', { job: 'pqc-ops-capacity' }),
    ).toBe(1);

    const issue = api.issues('your-org', 'pqc-ops').at(-1);
    expect(issue?.title).toMatch(/\(monthly\)$/);
    const text = issue?.body ?? '';
    expect(section(text, 'Issues Encountered')).toMatch(
      /\*\*compliance\*\* [^\n]*❌ failed/,
    );
    expect(section(text, 'Next Maintenance Items')).toMatch(/80%/);
    for (const p of ['capacity', 'compliance', 'cert-rotate'])
      expect(section(text, 'Maintenance Activities')).toContain(p);
  }, 300_000);
});

describe('the callers without the reviews configured', () => {
  it('weekly.yml and monthly.yml skip them, and say so', async () => {
    const w = world({ vars: {} });
    const weekly = new WorkflowRun(w);
    await weekly.run('.github/workflows/weekly.yml');
    expect(weekly.job('weekly/performance').result).toBe('skipped');
    expect(weekly.job('weekly/log').result).toBe('success');

    const monthly = new WorkflowRun(w);
    expect(
      (await monthly.run('.github/workflows/monthly.yml')).result,
      monthly.log.join('\n'),
    ).toBe('success');
    expect(monthly.job('monthly/capacity').result).toBe('skipped');
    // No KUBECONFIG_COMPLIANCE: a notice, no audit.
    const compliance = monthly.job('monthly/compliance');
    expect(compliance.result).toBe('success');
    expect(compliance.steps[0]?.stdout).toContain(
      '::notice::no KUBECONFIG_COMPLIANCE: compliance audit skipped',
    );
    expect(stepOf(monthly, 'monthly/compliance', 'compliance')?.outcome).toBe(
      'skipped',
    );
    expect(compliance.secretsUsed.size).toBe(0);
  }, 300_000);
});
