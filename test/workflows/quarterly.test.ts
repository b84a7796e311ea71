// quarterly.yml run as written, for its inventory job: the caller maps the
// repository's variables (the policy as YAML) and secrets into
// maintenance-quarterly.yml, whose inventory job reads the cluster with the
// inventory identity (deploy/rbac/inventory.yaml, kube-sim enforcing it), the
// real PostgreSQL and the Pushgateway, changes nothing, and whose findings
// become next items of the log's issue. Without the inventory identity it
// falls back to the read-only one and asks for nothing that needs exec.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../kube-sim/index.js';
import { container, deployment } from '../helpers/kube-objects.js';
import {
  startGitHubApi,
  startHttpEndpoint,
  startPostgres,
  startPushgateway,
  type GitHubApi,
  type HttpEndpoint,
  type PgServer,
  type Pushgateway,
} from '../services/index.js';
import {
  forbidden,
  manifests,
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
let sim: KubeSim;
let kube: Identities;
let inventoryKube: string;
let pgMajor: number;

const day = (n: number) =>
  new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  [pg, gw, api, app] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startGitHubApi(),
    startHttpEndpoint(),
  ]);
  ({ sim, kube } = await startServiceSim(pg, [
    ...manifests('deploy/rbac/inventory.yaml'),
    deployment({
      name: 'cert-manager',
      namespace: 'cert-manager',
      replicas: 1,
      deploymentLabels: { 'app.kubernetes.io/version': 'v1.16.2' },
      containers: [
        container(
          'cert-manager-controller',
          'quay.io/jetstack/cert-manager-controller:v1.16.2',
        ),
      ],
    }),
  ]));
  sim.setVersion({ gitVersion: 'v1.34.3' });
  sim.addExecHook({
    namespace: NS,
    command: 'pip',
    run: ({ stdout }) => {
      stdout(
        '[{"name": "cryptography", "version": "41.0.7", "latest_version": "44.0.1", "latest_filetype": "wheel"}]\n',
      );
      return 0;
    },
  });
  inventoryKube = sim.kubeconfigFor(
    `system:serviceaccount:${NS}:pqc-ops-inventory`,
    ['system:serviceaccounts', `system:serviceaccounts:${NS}`],
  ).yaml;
  pgMajor = Math.floor(
    Number(await pg.psql('SHOW server_version_num')) / 10_000,
  );
  app.respond('/health', { status: 200, body: 'ok' });
}, 240_000);
afterAll(async () => {
  await Promise.all([
    pg?.destroy(),
    gw?.stop(),
    api?.close(),
    app?.close(),
    sim?.close(),
  ]);
});

/** quarterly.yml of this repository on schedule, with these secrets besides the usual. */
function world(secrets: Record<string, string>): World {
  return {
    repos: { [PQC_OPS]: pqcOpsSnapshot(V1_SHA, ['main']) },
    repository: PQC_OPS,
    event: { name: 'schedule', payload: { schedule: '37 2 1 1,4,7,10 *' } },
    token: api.token,
    env: { GITHUB_API_URL: api.url },
    vars: {
      PQC_OPS_HEALTH_URL: `${app.url}/health`,
      PQC_OPS_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'wf-quarterly-backups-')),
      // Kubernetes 1.34 ended yesterday; this PostgreSQL major ends in 30 days.
      PQC_OPS_INVENTORY_POLICY: `kubernetes:\n  end-of-life:\n    '1.34': ${day(-1)}\npostgresql:\n  end-of-life:\n    '${pgMajor}': ${day(30)}\n`,
    },
    secrets: {
      KUBECONFIG_READONLY: kube.readonly,
      KUBECONFIG_BACKUP: kube.backup,
      DATABASE_URL: pg.url('postgres'),
      AGE_IDENTITY: 'AGE-SECRET-KEY-1NOTUSEDHERE',
      PUSHGATEWAY_URL: gw.url,
      ...secrets,
    },
  };
}

function inventoryStep(run: WorkflowRun) {
  const s = run
    .job('quarterly/inventory')
    .steps.find((x) => x.uses?.endsWith('/actions/inventory'));
  if (!s) throw new Error('no inventory step');
  return s;
}

describe('quarterly.yml: the inventory job', () => {
  it('reviews the versions with its own identity and logs the next items', async () => {
    sim.clearJournal();
    const run = new WorkflowRun(world({ KUBECONFIG_INVENTORY: inventoryKube }));
    await run.run('.github/workflows/quarterly.yml');
    const step = inventoryStep(run);
    expect(step.inputs['kubeconfig']).toBe(inventoryKube);
    expect(step.inputs['cert-manager']).toBe('cert-manager/cert-manager');
    expect(step.inputs['pip-command']).toBe('');
    // Kubernetes is out of support: the job fails, the log still runs.
    expect(run.job('quarterly/inventory').result, step.stdout).toBe('failure');
    expect(step.outputs['out-of-support']).toBe('1');
    expect(step.outputs['expiring']).toBe('1');
    expect(
      run.jobs
        .filter((j) => j.secretsUsed.has('KUBECONFIG_INVENTORY'))
        .map((j) => j.path),
    ).toEqual(['quarterly/inventory']);
    expect(forbidden(sim)).toEqual([]);
    expect(sim.writes().filter((w) => !w.path.includes('/leases'))).toEqual([]);

    expect(run.job('quarterly/log').result).toBe('success');
    const issue = api.issues('your-org', 'pqc-ops').at(-1);
    const next = issue?.body?.split('## Next Maintenance Items')[1] ?? '';
    expect(next).toContain(
      `Kubernetes v1.34.3 (${sim.httpsUrl}) reached its end of life on ${day(-1)} (release 1.34`,
    );
    expect(next).toMatch(
      new RegExp(
        `PostgreSQL ${pgMajor}\\.\\d+ \\(.*\\): support of release ${pgMajor} ends ${day(30)}, in 3[01] days`,
      ),
    );
    expect(next).toContain(
      '1 Python package(s) of the application have newer releases (cryptography 41.0.7 → 44.0.1)',
    );
    expect(
      await gw.sample('pqc_inventory_findings', { kind: 'end-of-life' }),
    ).toBe(1);
  }, 300_000);

  it('without its identity, runs read-only and asks for nothing that needs exec', async () => {
    sim.clearJournal();
    const w = world({});
    const run = new WorkflowRun({
      ...w,
      vars: { ...w.vars, PQC_OPS_INVENTORY_FAIL_ON: 'never' },
    });
    await run.run('.github/workflows/quarterly.yml');
    const step = inventoryStep(run);
    expect(step.inputs['kubeconfig']).toBe(kube.readonly);
    expect(step.inputs['pip-command']).toBe('none');
    expect(step.inputs['cert-manager']).toBe('none');
    expect(step.inputs['postgres-selector']).toBe('');
    expect(run.job('quarterly/inventory').result, step.stdout).toBe('success');
    expect(step.outputs['out-of-support']).toBe('1');
    expect(forbidden(sim)).toEqual([]);
    expect(sim.journal.filter((j) => j.path.endsWith('/exec'))).toEqual([]);
  }, 300_000);
});
