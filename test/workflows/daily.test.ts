// The daily workflow end to end, run as written by the test runner: the
// scheduled caller (daily.yml) maps the repository's secrets and variables
// into the reusable maintenance-daily.yml, whose jobs check out this
// repository at the workflow's commit and run the bundled actions against
// kube-sim (RBAC on, each job under its own least-privilege identity), real
// PostgreSQL, the real Pushgateway, a health endpoint, a webhook receiver and
// the simulated GitHub API.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import { seedDatabase } from '../helpers/procedure.js';
import {
  startGitHubApi,
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
  startWebhookReceiver,
  type GitHubApi,
  type HttpEndpoint,
  type PgServer,
  type Pushgateway,
  type WebhookReceiver,
} from '../services/index.js';
import {
  forbidden,
  NS,
  PQC_OPS,
  pqcOpsSnapshot,
  startServiceSim,
  V1_SHA,
  type Identities,
} from './fixtures.js';
import { WorkflowRun, type World } from './runner.js';

let pg: PgServer;
let gw: Pushgateway;
let api: GitHubApi;
let app: HttpEndpoint;
let hook: WebhookReceiver;
let sim: KubeSim;
let kube: Identities;
let recipient: string;
let identity: string;

beforeAll(async () => {
  [pg, gw, api, app, hook] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startGitHubApi(),
    startHttpEndpoint(),
    startWebhookReceiver(),
  ]);
  await seedDatabase(pg, 'pqc_audit');
  ({ sim, kube } = await startServiceSim(pg));
  identity = await age.generateIdentity();
  recipient = await age.identityToRecipient(identity);
}, 240_000);
afterAll(async () => {
  await Promise.all([
    pg?.destroy(),
    gw?.stop(),
    api?.close(),
    app?.close(),
    hook?.close(),
    sim?.close(),
  ]);
});

/** This repository running its own daily.yml on schedule. */
function world(backupDir: string, over: Partial<World> = {}): World {
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main']) },
    repository: PQC_OPS,
    event: { name: 'schedule', payload: { schedule: '17 5 * * *' } },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {
      PQC_OPS_HEALTH_URL: `${app.url}/health`,
      PQC_OPS_BACKUP_DIR: backupDir,
      // quarterly.yml's inventory: the simulated cluster's Kubernetes ages
      // out of the default policy; the drill here is not about versions.
      PQC_OPS_INVENTORY_FAIL_ON: 'never',
    },
    secrets: {
      KUBECONFIG_READONLY: kube.readonly,
      KUBECONFIG_BACKUP: kube.backup,
      KUBECONFIG_HEAL: kube.heal,
      DATABASE_URL: pg.url('pqc_audit'),
      AGE_RECIPIENTS: recipient,
      ALERT_WEBHOOK: hook.url,
      PUSHGATEWAY_URL: gw.url,
    },
    ...over,
  };
}

const archives = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tar.age')) : [];

/** The check `name` of a job's health result. */
function check(run: WorkflowRun, job: string, name: string) {
  const step = run.job(job).steps.find((s) => s.outputs['result']);
  const r = JSON.parse(step?.outputs['result'] ?? '{}') as {
    checks?: { name: string; status: string; observed: string }[];
  };
  return r.checks?.find((c) => c.name === name);
}

describe('daily.yml, weekly.yml and quarterly.yml, run as written', () => {
  it('runs health and the backup, each with its own identity, and logs both', async () => {
    app.respond('/health', { status: 200, body: 'ok' });
    const dir = mkdtempSync(join(tmpdir(), 'wf-daily-backups-'));
    sim.clearJournal();
    const run = new WorkflowRun(world(dir));
    const r = await run.run('.github/workflows/daily.yml');
    expect(r.result, run.log.join('\n')).toBe('success');
    expect(run.jobs.map((j) => `${j.path} ${j.result}`)).toEqual([
      'daily success',
      'daily/pqc-ops success',
      'daily/health success',
      'daily/heal skipped',
      'daily/backup success',
      // No KUBECONFIG_HOUSEKEEPING: planned nothing (a notice), no apply.
      'daily/housekeeping-plan success',
      'daily/housekeeping-apply skipped',
      'daily/log success',
    ]);
    expect(run.job('daily').outputs['status']).toMatch(/^(healthy|degraded)$/);
    expect(archives(dir)).toHaveLength(1);
    expect(check(run, 'daily/health', 'http')?.status).toBe('ok');
    expect(check(run, 'daily/health', 'backup')?.status).toBe('warning');
    // Least privilege held: nobody was refused, and only the gated job could
    // have read the write kubeconfig (it did not run).
    expect(forbidden(sim)).toEqual([]);
    expect(run.job('daily/health').secretsUsed).toEqual(
      new Set(['KUBECONFIG_READONLY', 'ALERT_WEBHOOK', 'PUSHGATEWAY_URL']),
    );
    expect([...run.job('daily/backup').secretsUsed].sort()).toEqual([
      'AGE_RECIPIENTS',
      'DATABASE_URL',
      'KUBECONFIG_BACKUP',
      'PUSHGATEWAY_URL',
    ]);
    expect(
      run.jobs.filter((j) => j.secretsUsed.has('KUBECONFIG_HEAL')),
    ).toEqual([]);
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(1);

    const log = run.job('daily/log').steps.at(-1);
    const text = readFileSync(log?.outputs['log-file'] ?? '', 'utf8');
    for (const section of [
      '# Maintenance Log - ',
      '## Pre-maintenance Status',
      '## Maintenance Activities',
      '## Post-maintenance Validation',
      '## Issues Encountered',
      '## Next Maintenance Items',
      'Performed by: octocat',
      'Duration: ',
    ])
      expect(text).toContain(section);
    expect(text).toMatch(/health/i);
    expect(text).toMatch(/backup/i);

    // The next day's health sees that archive: the freshness check passes.
    const next = new WorkflowRun(world(dir));
    expect((await next.run('.github/workflows/daily.yml')).result).toBe(
      'success',
    );
    expect(check(next, 'daily/health', 'backup')?.status).toBe('ok');
    expect(archives(dir)).toHaveLength(2);
  }, 300_000);

  it('alerts from the ungated job at once, and heals only in the approved environment', async () => {
    app.respond('/health', { status: 503, body: 'down' });
    const before = hook.received.length;
    const asked: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'wf-daily-backups-'));
    const run = new WorkflowRun(
      world(dir, {
        approve: (env, job) => {
          asked.push(`${job} in ${env}`);
          // The alert came before anyone was asked to approve.
          expect(hook.received.length).toBeGreaterThan(before);
          return true;
        },
      }),
    );
    const r = await run.run('.github/workflows/daily.yml');
    app.respond('/health', { status: 200, body: 'ok' });
    expect(run.job('daily/health').result).toBe('failure');
    expect(run.job('daily/health').outputs['status']).toBe('unhealthy');
    expect(asked).toEqual(['daily/heal in production']);
    expect(run.job('daily/heal').environment).toBe('production');
    expect(run.job('daily/heal').secretsUsed.has('KUBECONFIG_HEAL')).toBe(true);
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_HEAL'))
        .map((j) => j.path),
    ).toEqual(['daily/heal']);
    // self-heal restarted the Deployment through the write identity.
    const dep = sim.get('apps/v1', 'Deployment', 'pqc-audit', 'pqc-audit');
    expect(
      dep.spec.template.metadata.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBeDefined();
    expect(run.job('daily/backup').result).toBe('success');
    expect(run.job('daily/log').result).toBe('success');
    expect(r.result).toBe('failure');
  }, 300_000);

  it('backs up and alerts when health cannot reach the cluster, through the database pod', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-daily-backups-'));
    const before = hook.received.length;
    const w = world(dir);
    const secrets = { ...w.secrets };
    secrets['KUBECONFIG_READONLY'] = kube.readonly.replace(
      /server: \S+/,
      'server: https://127.0.0.1:9',
    );
    delete secrets['DATABASE_URL'];
    const run = new WorkflowRun({ ...w, secrets });
    await run.run('.github/workflows/daily.yml');
    expect(run.job('daily/health').result).toBe('failure');
    expect(run.job('daily/health').outputs['status']).toBe('unknown');
    expect(run.job('daily/heal').result).toBe('skipped');
    expect(run.job('daily/backup').result, run.log.join('\n')).toBe('success');
    expect(archives(dir)).toHaveLength(1);
    // pg_dump ran in the database pod, as the backup identity may.
    const inputs = run
      .job('daily/backup')
      .steps.find((s) => s.uses?.endsWith('/backup'))?.inputs;
    expect(inputs?.['database-url']).toBe('');
    expect(inputs?.['postgres-selector']).toBe('app=postgres');
    expect(hook.received.length).toBeGreaterThan(before);
    expect(JSON.stringify(hook.received.at(-1))).toContain(
      'could not be checked',
    );
    expect(run.job('daily/log').result).toBe('success');
  }, 300_000);

  it('is verified by weekly.yml and drilled by quarterly.yml, which change nothing', async () => {
    app.respond('/health', { status: 200, body: 'ok' });
    const dir = mkdtempSync(join(tmpdir(), 'wf-daily-backups-'));
    const daily = new WorkflowRun(world(dir));
    expect((await daily.run('.github/workflows/daily.yml')).result).toBe(
      'success',
    );
    const w = world(dir);
    const secrets = {
      ...w.secrets,
      AGE_IDENTITY: identity,
      SCRATCH_DATABASE_URL: pg.url('wf_scratch'),
    };
    const weekly = new WorkflowRun({ ...w, secrets });
    expect(
      (await weekly.run('.github/workflows/weekly.yml')).result,
      weekly.log.join('\n'),
    ).toBe('success');
    const verify = weekly
      .job('weekly/backup-verify')
      .steps.find((s) => s.uses?.endsWith('/backup-verify'));
    expect(verify?.outputs['verified']).toBe('true');
    // No image: no build, no rollout.
    for (const j of ['build', 'rollout-plan', 'rollout-apply'])
      expect(weekly.job(`weekly/${j}`).result).toBe('skipped');
    expect(api.issues('your-org', 'pqc-ops').at(-1)?.title).toMatch(
      /\(weekly\)$/,
    );

    sim.clearJournal();
    const quarterly = new WorkflowRun({ ...w, secrets });
    expect(
      (await quarterly.run('.github/workflows/quarterly.yml')).result,
      quarterly.log.join('\n'),
    ).toBe('success');
    const plan = quarterly
      .job('quarterly/restore-plan')
      .steps.find((s) => s.uses?.endsWith('/restore'));
    expect(plan?.inputs['mode']).toBe('plan');
    expect(plan?.outputs['plan-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(quarterly.job('quarterly/backup-verify').result).toBe('success');
    expect(quarterly.job('quarterly/health').result).toBe('success');
    expect(forbidden(sim)).toEqual([]);
    expect(sim.writes().filter((x) => !x.path.includes('/leases'))).toEqual([]);
    expect(
      quarterly.jobs.filter((j) => j.secretsUsed.has('KUBECONFIG_HEAL')),
    ).toEqual([]);
  }, 300_000);

  it('plans housekeeping with its identity and applies exactly that plan only in the approved environment', async () => {
    app.respond('/health', { status: 200, body: 'ok' });
    const old = new Date(Date.now() - 9 * 86_400_000);
    const logs: string[] = [];
    for (const p of sim.list('v1', 'Pod', NS)) {
      if (p.metadata?.labels?.app !== 'pqc-audit') continue;
      const dir = join(sim.podRoot(NS, p.metadata.name), 'var/log/pqc-audit');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'old.log'), 'x\n'.repeat(1000));
      utimesSync(join(dir, 'old.log'), old, old);
      logs.push(join(dir, 'old.log'));
    }
    expect(logs.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'wf-daily-backups-'));
    const w = world(dir);
    const asked: string[] = [];
    const approveHousekeeping = (approve: boolean) =>
      new WorkflowRun({
        ...w,
        secrets: { ...w.secrets, KUBECONFIG_HOUSEKEEPING: kube.housekeeping },
        approve: (env, job) => {
          asked.push(`${job} in ${env}`);
          return approve;
        },
      });

    // Rejected: planned, nothing changed.
    const rejected = approveHousekeeping(false);
    await rejected.run('.github/workflows/daily.yml');
    expect(rejected.job('daily/housekeeping-plan').result).toBe('success');
    expect(
      Number(rejected.job('daily/housekeeping-plan').outputs['changes']),
    ).toBeGreaterThan(0);
    expect(asked).toEqual(['daily/housekeeping-apply in production']);
    expect(rejected.job('daily/housekeeping-apply').result).not.toBe('success');
    for (const l of logs) expect(existsSync(l)).toBe(true);

    // Approved: the plan job's plan, applied by its sha256.
    sim.clearJournal();
    const run = approveHousekeeping(true);
    const r = await run.run('.github/workflows/daily.yml');
    expect(r.result, run.log.join('\n')).toBe('success');
    const plan = run
      .job('daily/housekeeping-plan')
      .steps.find((s) => s.uses?.endsWith('/housekeeping'));
    const apply = run
      .job('daily/housekeeping-apply')
      .steps.find((s) => s.uses?.endsWith('/housekeeping'));
    expect(plan?.inputs['mode']).toBe('plan');
    expect(plan?.inputs['postgres-selector']).toBe('app=postgres');
    expect(apply?.inputs['mode']).toBe('apply');
    expect(apply?.inputs['plan-sha256']).toBe(plan?.outputs['plan-sha256']);
    expect(apply?.outputs['applied']).toBe('true');
    expect(run.job('daily/housekeeping-apply').environment).toBe('production');
    for (const l of logs) {
      expect(existsSync(l)).toBe(false);
      expect(existsSync(`${l}.gz`)).toBe(true);
    }
    expect(forbidden(sim)).toEqual([]);
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_HOUSEKEEPING'))
        .map((j) => j.path)
        .sort(),
    ).toEqual(['daily/housekeeping-apply', 'daily/housekeeping-plan']);
    expect(run.job('daily/log').result).toBe('success');
  }, 300_000);
});
