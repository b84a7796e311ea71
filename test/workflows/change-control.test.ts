// Plan, approve, apply across jobs, as the workflows are written: the plan
// job (read-only identity) uploads the plan, the apply job (bound to the
// environment, write identity) downloads it and applies exactly that plan
// (plan-sha256), refusing drift. monthly.yml (cert-rotate), staging first,
// emergency-dispatch.yml (scale) and pull-request.yml (plans as the PR
// comment), against kube-sim with our Roles and the simulated GitHub API.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import {
  startGitHubApi,
  startPushgateway,
  type GitHubApi,
  type Pushgateway,
} from '../services/index.js';
import {
  expiringCertificate,
  forbidden,
  NS,
  PQC_OPS,
  pqcOpsSnapshot,
  startServiceSim,
  V1_SHA,
  type Identities,
} from './fixtures.js';
import { WorkflowRun, type World } from './runner.js';

let api: GitHubApi;
let gw: Pushgateway;
let prod: { sim: KubeSim; kube: Identities };
let staging: { sim: KubeSim; kube: Identities };

const certs = () => [
  expiringCertificate('pqc-audit', 5),
  expiringCertificate('pqc-audit-api', 300),
];

beforeAll(async () => {
  [api, gw] = await Promise.all([startGitHubApi(), startPushgateway()]);
}, 120_000);
beforeEach(async () => {
  await Promise.all([prod?.sim.close(), staging?.sim.close()]);
  [prod, staging] = await Promise.all([
    startServiceSim(undefined, certs()),
    startServiceSim(undefined, certs()),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([
    api?.close(),
    gw?.stop(),
    prod?.sim.close(),
    staging?.sim.close(),
  ]);
});

/** The Certificate's revision (1 as seeded; each renewal adds one). */
const revision = (sim: KubeSim, name: string): number =>
  sim.get('cert-manager.io/v1', 'Certificate', NS, name)?.status
    ?.revision as number;

function world(
  over: Partial<World> = {},
  workflows: Record<string, string> = {},
): World {
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main'], workflows) },
    repository: PQC_OPS,
    event: { name: 'workflow_dispatch', payload: {} },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {},
    secrets: {
      KUBECONFIG_READONLY: prod.kube.readonly,
      KUBECONFIG_CERT_ROTATE: prod.kube.certRotate,
      PUSHGATEWAY_URL: gw.url,
    },
    ...over,
  };
}

const step = (run: WorkflowRun, job: string, action: string) =>
  run.job(job).steps.find((s) => s.uses?.endsWith(`/actions/${action}`));

describe('monthly.yml: cert-rotate plan, approval, apply', () => {
  it('applies exactly the approved plan, the write identity only in the gated job', async () => {
    const asked: string[] = [];
    // The reviewer's approval, as GitHub records it for the run (4242).
    api.addApproval('your-org', 'pqc-ops', 4242, 'alice', ['production']);
    const run = new WorkflowRun(
      world({ approve: (env, job) => (asked.push(`${job} in ${env}`), true) }),
    );
    const r = await run.run('.github/workflows/monthly.yml');
    expect(r.result, run.log.join('\n')).toBe('success');
    const plan = step(run, 'monthly/plan', 'cert-rotate');
    const apply = step(run, 'monthly/apply', 'cert-rotate');
    expect(plan?.inputs['mode']).toBe('plan');
    expect(plan?.outputs['due']).toBe('1');
    expect(asked).toEqual(['monthly/apply in production']);
    expect(apply?.inputs['mode']).toBe('apply');
    expect(apply?.inputs['plan-sha256']).toBe(plan?.outputs['plan-sha256']);
    // The plan file came through the artifact, byte for byte.
    const planned = readFileSync(plan?.outputs['plan-file'] ?? '', 'utf8');
    expect(apply?.outputs['plan-file']).toBeTruthy();
    expect(
      JSON.parse(readFileSync(apply?.outputs['plan-file'] ?? '', 'utf8'))
        .sha256,
    ).toBe(JSON.parse(planned).sha256);
    expect(apply?.outputs['applied']).toBe('true');
    expect(run.job('monthly').outputs['applied']).toBe('true');
    expect(revision(prod.sim, 'pqc-audit')).toBe(2);
    expect(revision(prod.sim, 'pqc-audit-api')).toBe(1);
    expect(run.job('monthly/plan').secretsUsed.has('KUBECONFIG_READONLY')).toBe(
      true,
    );
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_CERT_ROTATE'))
        .map((j) => j.path),
    ).toEqual(['monthly/apply']);
    // The read-only identity may not read TLS Secrets (their private keys):
    // the plan reads the Certificates' status instead.
    const denied = forbidden(prod.sim);
    expect(
      denied.every(
        (d) => d.includes(':pqc-ops-readonly ') && d.includes('/secrets'),
      ),
    ).toBe(true);
    // The log: a new issue, with the plan and the apply.
    const issues = api.issues('your-org', 'pqc-ops');
    expect(issues.at(-1)?.title).toMatch(
      /^Maintenance Log - \d{4}-\d{2}-\d{2} \(monthly\)$/,
    );
    expect(issues.at(-1)?.body).toContain('cert-rotate');
    expect(issues.at(-1)?.body).toContain(
      'Performed by: octocat; approved by alice (production)',
    );
  }, 300_000);

  it('refuses the plan when the target drifted while the reviewer looked', async () => {
    const run = new WorkflowRun(
      world({
        approve: () => {
          const c = prod.sim.get(
            'cert-manager.io/v1',
            'Certificate',
            NS,
            'pqc-audit',
          );
          c.spec.dnsNames = [...c.spec.dnsNames, 'changed.pqc.example'];
          prod.sim.apply(c);
          return true;
        },
      }),
    );
    await run.run('.github/workflows/monthly.yml');
    expect(run.job('monthly/apply').result).toBe('failure');
    expect(step(run, 'monthly/apply', 'cert-rotate')?.stdout).toMatch(
      /::error::cert-rotate: .*(drift|changed)/i,
    );
    expect(revision(prod.sim, 'pqc-audit')).toBe(1);
    expect(run.job('monthly/log').result).toBe('success');
  }, 300_000);

  it('changes nothing when the reviewer rejects, and asks no one when nothing is due', async () => {
    const rejected = new WorkflowRun(world({ approve: () => false }));
    await rejected.run('.github/workflows/monthly.yml');
    expect(rejected.job('monthly/apply').result).toBe('failure');
    expect(rejected.job('monthly/apply').steps).toEqual([]);
    expect(revision(prod.sim, 'pqc-audit')).toBe(1);
    expect(rejected.job('monthly/log').result).toBe('success');

    prod.sim.remove('cert-manager.io/v1', 'Certificate', NS, 'pqc-audit');
    const asked: string[] = [];
    const quiet = new WorkflowRun(
      world({ approve: (e) => (asked.push(e), true) }),
    );
    expect((await quiet.run('.github/workflows/monthly.yml')).result).toBe(
      'success',
    );
    expect(step(quiet, 'monthly/plan', 'cert-rotate')?.outputs['due']).toBe(
      '0',
    );
    expect(quiet.job('monthly/apply').result).toBe('skipped');
    expect(asked).toEqual([]);
  }, 300_000);
});

/** The README's staging-first caller. */
const STAGED = `name: monthly-staged
on: workflow_dispatch
permissions: {}
jobs:
  staging:
    uses: ./.github/workflows/maintenance-monthly.yml
    permissions: { contents: read, actions: read, pull-requests: write, issues: write }
    with:
      environment: staging
      log-comment-on: none
    secrets:
      KUBECONFIG_READONLY: \${{ secrets.STAGING_KUBECONFIG_READONLY }}
      KUBECONFIG_WRITE: \${{ secrets.STAGING_KUBECONFIG_CERT_ROTATE }}
  production:
    needs: staging
    uses: ./.github/workflows/maintenance-monthly.yml
    permissions: { contents: read, actions: read, pull-requests: write, issues: write }
    with:
      environment: production
      log-comment-on: none
    secrets:
      KUBECONFIG_READONLY: \${{ secrets.KUBECONFIG_READONLY }}
      KUBECONFIG_WRITE: \${{ secrets.KUBECONFIG_CERT_ROTATE }}
`;

describe('staging first', () => {
  it('asks for production only after the same change applied in staging', async () => {
    const asked: string[] = [];
    const w = world({}, { 'monthly-staged.yml': STAGED });
    const secrets = {
      ...w.secrets,
      STAGING_KUBECONFIG_READONLY: staging.kube.readonly,
      STAGING_KUBECONFIG_CERT_ROTATE: staging.kube.certRotate,
    };
    const run = new WorkflowRun({
      ...w,
      secrets,
      approve: (env, job) => {
        asked.push(`${job} in ${env}`);
        if (env === 'production')
          expect(revision(staging.sim, 'pqc-audit')).toBe(2);
        return true;
      },
    });
    expect(
      (await run.run('.github/workflows/monthly-staged.yml')).result,
      run.log.join('\n'),
    ).toBe('success');
    expect(asked).toEqual([
      'staging/apply in staging',
      'production/apply in production',
    ]);
    expect([
      revision(staging.sim, 'pqc-audit'),
      revision(prod.sim, 'pqc-audit'),
    ]).toEqual([2, 2]);

    // A rejected staging apply stops there: production is not even planned.
    for (const { sim } of [staging, prod])
      sim.apply(expiringCertificate('pqc-audit-extra', 4));
    await Promise.all([staging.sim.settle(), prod.sim.settle()]);
    const stopped = new WorkflowRun({
      ...w,
      secrets,
      approve: (env) => env !== 'staging',
    });
    await stopped.run('.github/workflows/monthly-staged.yml');
    expect(stopped.job('staging/apply').result).toBe('failure');
    expect(stopped.job('production').result).toBe('skipped');
    expect(stopped.jobs.some((j) => j.path.startsWith('production/'))).toBe(
      false,
    );
    expect([
      revision(staging.sim, 'pqc-audit-extra'),
      revision(prod.sim, 'pqc-audit-extra'),
    ]).toEqual([1, 1]);
  }, 300_000);
});

/** The README's monthly caller where environments have no required reviewers. */
const TWO_RUNS = `name: monthly
on:
  schedule:
    - cron: '29 3 1 * *'
  workflow_dispatch:
    inputs:
      plan-run-id: { type: string, default: '' }
      plan-sha256: { type: string, default: '' }
permissions: {}
jobs:
  monthly:
    uses: ./.github/workflows/maintenance-monthly.yml
    permissions: { contents: read, actions: read, pull-requests: write, issues: write }
    with:
      environment: production
      apply: \${{ inputs.plan-run-id != '' }}
      plan-run-id: \${{ inputs.plan-run-id || '' }}
      plan-sha256: \${{ inputs.plan-sha256 || '' }}
    secrets:
      KUBECONFIG_READONLY: \${{ secrets.KUBECONFIG_READONLY }}
      KUBECONFIG_WRITE: \${{ secrets.KUBECONFIG_CERT_ROTATE }}
`;

describe('the gate without required reviewers', () => {
  it('plans on schedule, and applies only the reviewed plan of that run when dispatched with it', async () => {
    const files = { 'monthly-two-runs.yml': TWO_RUNS };
    const scheduled = new WorkflowRun(
      world({ runId: '1001', event: { name: 'schedule', payload: {} } }, files),
    );
    await scheduled.run('.github/workflows/monthly-two-runs.yml');
    expect(scheduled.job('monthly/apply').result).toBe('skipped');
    const sha =
      step(scheduled, 'monthly/plan', 'cert-rotate')?.outputs['plan-sha256'] ??
      '';
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const later = (runId: string, inputs: Record<string, string>) => {
      const run = new WorkflowRun(
        world({ runId, pastRuns: { '1001': scheduled.artifacts } }, files),
      );
      return run
        .run('.github/workflows/monthly-two-runs.yml', { inputs })
        .then(() => run);
    };

    const noSha = await later('1002', { 'plan-run-id': '1001' });
    expect(noSha.job('monthly/apply').result).toBe('failure');
    expect(noSha.job('monthly/apply').steps[0]?.stdout).toContain(
      "input 'plan-sha256' is required",
    );
    const other = await later('1003', {
      'plan-run-id': '1001',
      'plan-sha256': 'f'.repeat(64),
    });
    expect(step(other, 'monthly/apply', 'cert-rotate')?.stdout).toContain(
      'the plan is not the approved one',
    );
    expect(revision(prod.sim, 'pqc-audit')).toBe(1);

    const applied = await later('1004', {
      'plan-run-id': '1001',
      'plan-sha256': sha,
    });
    expect(applied.job('monthly/plan').result).toBe('skipped');
    expect(applied.job('monthly/apply').result, applied.log.join('\n')).toBe(
      'success',
    );
    expect(
      step(applied, 'monthly/apply', 'cert-rotate')?.inputs['plan-sha256'],
    ).toBe(sha);
    expect(revision(prod.sim, 'pqc-audit')).toBe(2);
  }, 300_000);
});

describe('emergency-dispatch.yml', () => {
  it('plans the scale read-only and applies it once approved', async () => {
    const run = new WorkflowRun(
      world({
        secrets: {
          KUBECONFIG_READONLY: prod.kube.readonly,
          KUBECONFIG_SCALE: prod.kube.scale,
        },
      }),
    );
    const r = await run.run('.github/workflows/emergency-dispatch.yml', {
      inputs: { procedure: 'scale', environment: 'production', replicas: '4' },
    });
    expect(r.result, run.log.join('\n')).toBe('success');
    const plan = step(run, 'emergency/scale-plan', 'scale');
    const apply = step(run, 'emergency/scale-apply', 'scale');
    expect(plan?.inputs['kubeconfig']).toBe(prod.kube.readonly);
    expect(apply?.inputs['plan-sha256']).toBe(plan?.outputs['plan-sha256']);
    expect(run.job('emergency/scale-apply').environment).toBe('production');
    expect(
      prod.sim.get('apps/v1', 'Deployment', NS, 'pqc-audit').spec.replicas,
    ).toBe(4);
    expect(forbidden(prod.sim)).toEqual([]);
    expect(api.issues('your-org', 'pqc-ops').at(-1)?.title).toMatch(
      /\(emergency\)$/,
    );
  }, 300_000);

  it('plans an outage response with the incident plan identity and applies it behind the environment', async () => {
    const run = new WorkflowRun(
      world({
        secrets: {
          KUBECONFIG_READONLY: prod.kube.readonly,
          KUBECONFIG_INCIDENT_PLAN: prod.kube.incidentPlan,
          KUBECONFIG_INCIDENT: prod.kube.incident,
        },
        vars: { PQC_OPS_CRYPTO_CHECK: 'none' },
      }),
    );
    const r = await run.run('.github/workflows/emergency-dispatch.yml', {
      inputs: {
        procedure: 'outage',
        environment: 'production',
        'scale-to': '3',
      },
    });
    expect(r.result, run.log.join('\n')).toBe('success');
    const plan = step(run, 'emergency/incident-plan', 'incident');
    const apply = step(run, 'emergency/incident-apply', 'incident');
    expect(plan?.inputs['kubeconfig']).toBe(prod.kube.incidentPlan);
    expect(plan?.inputs['mode']).toBe('plan');
    expect(apply?.inputs['kubeconfig']).toBe(prod.kube.incident);
    expect(apply?.inputs['plan-sha256']).toBe(plan?.outputs['plan-sha256']);
    expect(run.job('emergency/incident-apply').environment).toBe('production');
    expect(run.job('emergency/scale-plan').result).toBe('skipped');
    const d = prod.sim.get('apps/v1', 'Deployment', NS, 'pqc-audit');
    expect(d.spec.replicas).toBe(3);
    expect(
      d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
    ).toBeDefined();
    expect(forbidden(prod.sim)).toEqual([]);
    // The maintenance log carries the incident's timeline.
    const log = api.issues('your-org', 'pqc-ops').at(-1);
    expect(log?.title).toMatch(/\(emergency\)$/);
    expect(log?.body).toContain('Incident response');
    expect(log?.body).toContain('#### Timeline');
    expect(log?.body).toMatch(/outage response applied/);
  }, 300_000);

  it('refuses a procedure it does not have before anything runs', async () => {
    const run = new WorkflowRun(world());
    await expect(
      run.run('.github/workflows/emergency-dispatch.yml', {
        inputs: { procedure: 'restore', replicas: '1' },
      }),
    ).rejects.toThrow(
      /restore is not one of scale, outage, data-corruption, security-incident/,
    );
  });
});

describe('pull-request.yml', () => {
  const pr = (n: number, fork = false): World['event'] => ({
    name: 'pull_request',
    payload: {
      number: n,
      pull_request: {
        number: n,
        head: { repo: { full_name: fork ? 'someone/pqc-ops' : PQC_OPS } },
      },
    },
  });

  it('runs health and every plan read-only, and keeps one comment with the plans on the pull request', async () => {
    const w = world({
      event: pr(31),
      secrets: { KUBECONFIG_READONLY: prod.kube.readonly },
      vars: { PQC_OPS_HEALTH_URL: 'http://127.0.0.1:9/health' },
    });
    const run = new WorkflowRun(w);
    await run.run('.github/workflows/pull-request.yml');
    expect(run.job('plan/cert-rotate-plan').result, run.log.join('\n')).toBe(
      'success',
    );
    expect(run.job('plan/health').result).toBe('success');
    expect(run.jobs.every((j) => !j.environment)).toBe(true);
    expect(revision(prod.sim, 'pqc-audit')).toBe(1);
    const comments = api.comments('your-org', 'pqc-ops', 31);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Maintenance Log');
    expect(comments[0]?.body).toMatch(/cert-rotate/);
    expect(comments[0]?.body).toMatch(/plan/i);

    await new WorkflowRun(w).run('.github/workflows/pull-request.yml');
    expect(api.comments('your-org', 'pqc-ops', 31)).toHaveLength(1);

    const fork = new WorkflowRun({ ...w, event: pr(32, true) });
    await fork.run('.github/workflows/pull-request.yml');
    expect(fork.job('plan').result).toBe('skipped');
  }, 300_000);
});
