// quarterly.yml with the DR test asked for (PQC_OPS_DR_TEST): the plan job
// plans with the read-only identity, the apply job waits for a reviewer of
// the environment and alone holds the DR test's write identity, applies
// exactly the approved plan (plan-sha256) through exec in the database pod,
// against kube-sim with our Roles enforced and a real PostgreSQL. Rejected,
// nothing is taken down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../helpers/procedure.js';
import { DB, startDrWorld, type DrWorld } from '../procedures/dr-test/world.js';
import { startGitHubApi, type GitHubApi } from '../services/index.js';
import {
  forbidden,
  manifests,
  NS,
  PQC_OPS,
  pqcOpsSnapshot,
  V1_SHA,
} from './fixtures.js';
import { WorkflowRun, type World } from './runner.js';

let w: DrWorld;
let api: GitHubApi;

beforeAll(async () => {
  api = await startGitHubApi();
  w = await startDrWorld({
    rbac: true,
    extra: [
      ...manifests('deploy/rbac/readonly.yaml'),
      ...manifests('deploy/rbac/backup.yaml'),
      ...manifests('deploy/rbac/dr-test.yaml'),
    ],
  });
}, 240_000);
afterAll(async () => {
  await Promise.all([w?.close(), api?.close()]);
});

const kc = (sa: string) =>
  w.sim.kubeconfigFor(`system:serviceaccount:${NS}:${sa}`, [
    'system:serviceaccounts',
    `system:serviceaccounts:${NS}`,
  ]).yaml;

function world(over: Partial<World> = {}): World {
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main']) },
    repository: PQC_OPS,
    event: { name: 'workflow_dispatch', payload: {} },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {
      PQC_OPS_HEALTH_URL: `${w.app.url}/health`,
      PQC_OPS_BACKUP_DIR: w.dest,
      PQC_OPS_DR_TEST: 'true',
    },
    secrets: {
      KUBECONFIG_READONLY: kc('pqc-ops-readonly'),
      KUBECONFIG_BACKUP: kc('pqc-ops-backup'),
      KUBECONFIG_DR_TEST: kc('pqc-ops-dr-test'),
      AGE_IDENTITY: w.identity,
      PUSHGATEWAY_URL: w.gw.url,
    },
    ...over,
  };
}

const step = (run: WorkflowRun, job: string) =>
  run.job(job).steps.find((s) => s.uses?.endsWith('/actions/dr-test'));
const scaleWrites = () =>
  w.sim.writes().filter((j) => j.path.endsWith('/scale'));

describe('quarterly.yml: the DR test behind its environment', () => {
  it('plans, waits for the approval, and applies exactly the approved plan with the write identity only there', async () => {
    await w.reset();
    w.sim.clearJournal();
    const asked: string[] = [];
    const run = new WorkflowRun(
      world({ approve: (env, job) => (asked.push(`${job} in ${env}`), true) }),
    );
    await run.run('.github/workflows/quarterly.yml');
    // (backup-verify fails here: the test's archive holds the database only.)
    for (const j of ['dr-plan', 'dr-apply', 'restore-plan', 'health'])
      expect(run.job(`quarterly/${j}`).result, run.log.join('\n')).toBe(
        'success',
      );
    expect(asked).toEqual(['quarterly/dr-apply in production']);
    const plan = step(run, 'quarterly/dr-plan');
    const apply = step(run, 'quarterly/dr-apply');
    expect(plan?.inputs['mode']).toBe('plan');
    expect(apply?.inputs['mode']).toBe('apply');
    expect(apply?.inputs['plan-sha256']).toBe(plan?.outputs['plan-sha256']);
    expect(apply?.outputs['applied']).toBe('true');
    expect(Number(run.job('quarterly').outputs['rto-seconds'])).toBeGreaterThan(
      0,
    );
    expect(Number(run.job('quarterly').outputs['rpo-seconds'])).toBeGreaterThan(
      0,
    );
    expect(await fingerprint(w.pg, DB)).toEqual(w.archived);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_DR_TEST'))
        .map((j) => j.path),
    ).toEqual(['quarterly/dr-apply']);
    expect(
      run.job('quarterly/dr-plan').secretsUsed.has('KUBECONFIG_READONLY'),
    ).toBe(true);
    expect(forbidden(w.sim)).toEqual([]);
    expect(run.job('quarterly/log').result).toBe('success');
    // RTO and RPO in the maintenance log (the new quarterly issue).
    expect(api.issues('your-org', 'pqc-ops').at(-1)?.body).toMatch(
      /dr-test: \d+ change\(s\) made and verified: DR test passed: RTO [\d.]+ s, RPO [\d.]+ s/,
    );
    expect(
      await w.gw.sample('pqc_dr_rto_seconds', { job: 'pqc-ops-dr-test' }),
    ).toBe(Number(run.job('quarterly').outputs['rto-seconds']));
  }, 300_000);

  it('rejected in the environment, takes nothing down', async () => {
    await w.reset();
    const before = await fingerprint(w.pg, DB);
    w.sim.clearJournal();
    const run = new WorkflowRun(world({ approve: () => false }));
    await run.run('.github/workflows/quarterly.yml');
    expect(run.job('quarterly/dr-plan').result).toBe('success');
    expect(run.job('quarterly/dr-apply').result).not.toBe('success');
    expect(step(run, 'quarterly/dr-apply')).toBeUndefined();
    expect(scaleWrites()).toEqual([]);
    expect(await fingerprint(w.pg, DB)).toEqual(before);
  }, 300_000);

  it('without PQC_OPS_DR_TEST, plans and applies nothing', async () => {
    const run = new WorkflowRun(
      world({
        vars: {
          PQC_OPS_HEALTH_URL: `${w.app.url}/health`,
          PQC_OPS_BACKUP_DIR: w.dest,
        },
      }),
    );
    w.sim.clearJournal();
    await run.run('.github/workflows/quarterly.yml');
    expect(run.job('quarterly/dr-plan').result).toBe('skipped');
    expect(run.job('quarterly/dr-apply').result).toBe('skipped');
    expect(scaleWrites()).toEqual([]);
  }, 300_000);
});
