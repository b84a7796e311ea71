// The daily and weekly workflows with their archives in a bucket, run as
// written: the callers map the bucket variables and the access-key secrets,
// configure-aws-credentials puts the keys in the job's environment, the
// daily backup streams into a real S3 server (s3rver), health reads the
// newest archive's age from a listing, and the weekly backup-verify streams
// it back from the bucket.
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import { seedDatabase } from '../helpers/procedure.js';
import {
  startGitHubApi,
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
  startS3,
  type GitHubApi,
  type HttpEndpoint,
  type PgServer,
  type Pushgateway,
  type S3Server,
} from '../services/index.js';
import {
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
let s3: S3Server;
let sim: KubeSim;
let kube: Identities;
let identity: string;

beforeAll(async () => {
  [pg, gw, api, app, s3] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startGitHubApi(),
    startHttpEndpoint(),
    startS3(['pqc-backups']),
  ]);
  await seedDatabase(pg, 'pqc_audit');
  ({ sim, kube } = await startServiceSim(pg));
  identity = await age.generateIdentity();
}, 240_000);
afterAll(async () => {
  await Promise.all([
    pg?.destroy(),
    gw?.stop(),
    api?.close(),
    app?.close(),
    s3?.stop(),
    sim?.close(),
  ]);
});

async function world(): Promise<World> {
  const keys = s3.env();
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main']) },
    repository: PQC_OPS,
    event: { name: 'schedule', payload: {} },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {
      PQC_OPS_HEALTH_URL: `${app.url}/health`,
      PQC_OPS_BACKUP_DESTINATION: 's3://pqc-backups/prod/',
      PQC_OPS_AWS_REGION: 'us-east-1',
      PQC_OPS_S3_ENDPOINT: s3.endpoint,
      PQC_OPS_S3_FORCE_PATH_STYLE: 'true',
      PQC_OPS_BACKUP_COMPRESSION: 'zstd',
    },
    secrets: {
      KUBECONFIG_READONLY: kube.readonly,
      KUBECONFIG_BACKUP: kube.backup,
      KUBECONFIG_HEAL: kube.heal,
      DATABASE_URL: pg.url('pqc_audit'),
      AGE_RECIPIENTS: await age.identityToRecipient(identity),
      AGE_IDENTITY: identity,
      SCRATCH_DATABASE_URL: pg.url('wf_bucket_scratch'),
      AWS_ACCESS_KEY_ID: keys['AWS_ACCESS_KEY_ID'] ?? '',
      AWS_SECRET_ACCESS_KEY: keys['AWS_SECRET_ACCESS_KEY'] ?? '',
      PUSHGATEWAY_URL: gw.url,
    },
  };
}

describe('daily.yml, weekly.yml and quarterly.yml with the archives in a bucket', () => {
  it('backs up into the bucket, checks its freshness there, verifies and plans a restore from it', async () => {
    app.respond('/health', { status: 200, body: 'ok' });
    const w = await world();
    const daily = new WorkflowRun(w);
    const r = await daily.run('.github/workflows/daily.yml');
    expect(r.result, daily.log.join('\n')).toBe('success');
    const backup = daily
      .job('daily/backup')
      .steps.find((s) => s.uses?.endsWith('/backup'));
    const url = backup?.outputs['archive'] ?? '';
    expect(url).toMatch(
      /^s3:\/\/pqc-backups\/prod\/pqc-audit-backup_\d{8}_\d{6}\.tar\.zst\.age$/,
    );
    expect(backup?.inputs['compression']).toBe('zstd');
    const listed = await s3.aws(['s3', 'ls', 's3://pqc-backups/prod/']);
    expect(listed.stdout).toContain(url.split('/').pop());
    expect(await s3.uploads()).toEqual([]);

    // A second daily run: health finds that archive by listing the bucket.
    const again = new WorkflowRun(w);
    await again.run('.github/workflows/daily.yml');
    const health = again
      .job('daily/health')
      .steps.find((s) => s.uses?.endsWith('/health'));
    const result = JSON.parse(health?.outputs['result'] ?? '{}') as {
      checks?: { name: string; status: string; observed: string }[];
    };
    const fresh = result.checks?.find((c) => c.name.includes('backup'));
    expect(fresh?.status, JSON.stringify(result.checks)).toBe('ok');
    expect(fresh?.observed).toContain(url.split('/').pop());

    const weekly = new WorkflowRun(w);
    expect(
      (await weekly.run('.github/workflows/weekly.yml')).result,
      weekly.log.join('\n'),
    ).toBe('success');
    const verify = weekly
      .job('weekly/backup-verify')
      .steps.find((s) => s.uses?.endsWith('/backup-verify'));
    expect(verify?.outputs['verified']).toBe('true');
    expect(verify?.outputs['archive']).toMatch(/^s3:\/\/pqc-backups\/prod\//);
    // The quarterly drill reads the same bucket: verify, then the restore plan.
    const quarterly = new WorkflowRun({
      ...w,
      vars: { ...w.vars, PQC_OPS_INVENTORY_FAIL_ON: 'never' },
    });
    expect(
      (await quarterly.run('.github/workflows/quarterly.yml')).result,
      quarterly.log.join('\n'),
    ).toBe('success');
    const plan = quarterly
      .job('quarterly/restore-plan')
      .steps.find((s) => s.uses?.endsWith('/restore'));
    expect(plan?.outputs['plan-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(plan?.inputs['destination']).toBe('s3://pqc-backups/prod/');
    // The keys reached only the jobs that touch archives.
    const withKeys = [...daily.jobs, ...weekly.jobs, ...quarterly.jobs]
      .filter((j) => j.secretsUsed.has('AWS_SECRET_ACCESS_KEY'))
      .map((j) => j.path)
      .sort();
    expect(withKeys).toEqual([
      'daily/backup',
      'daily/health',
      'quarterly/backup-verify',
      'quarterly/restore-plan',
      'weekly/backup-verify',
    ]);
  }, 400_000);
});
