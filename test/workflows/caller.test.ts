// Called from another repository at a tag of this one: the caller's
// workflow says `uses: your-org/pqc-ops/.github/workflows/maintenance-daily.yml@v1`.
// The reusable workflow's jobs must run this suite's actions at v1, not the
// caller's `./actions/...` and not pqc-ops' newer main. The caller here has
// decoys at both paths (in its workspace, as a self-hosted runner keeps it
// between jobs), and pqc-ops' main has a decoy health action; any decoy that
// runs writes a marker and fails.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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
  type GitHubApi,
  type HttpEndpoint,
  type PgServer,
} from '../services/index.js';
import { PINNED } from './builtin-actions.js';
import {
  PQC_OPS,
  pqcOpsSnapshot,
  repoOf,
  startServiceSim,
  V1_SHA,
  V2_SHA,
  type Identities,
} from './fixtures.js';
import { WorkflowRun, type World } from './runner.js';
import { suiteAction } from './lint.js';
import { execFileSync } from 'node:child_process';
import { root } from '../helpers/bundle.js';

/** The README's daily caller for another repository, as an adopter copies it. */
export const DAILY_CALLER = `name: daily
on:
  schedule:
    - cron: '17 5 * * *'
  workflow_dispatch:
permissions: {}
concurrency:
  group: pqc-ops-daily
  cancel-in-progress: false
jobs:
  daily:
    uses: your-org/pqc-ops/.github/workflows/maintenance-daily.yml@v1
    permissions:
      contents: read
      actions: read
      pull-requests: write
      issues: write
      id-token: write
    with:
      environment: production
      namespace: pqc-audit
      health-url: \${{ vars.PQC_OPS_HEALTH_URL }}
      backup-dir: \${{ vars.PQC_OPS_BACKUP_DIR }}
      runs-on: '["self-hosted", "pqc-backups"]'
    secrets:
      KUBECONFIG_READONLY: \${{ secrets.KUBECONFIG_READONLY }}
      KUBECONFIG_BACKUP: \${{ secrets.KUBECONFIG_BACKUP }}
      KUBECONFIG_WRITE: \${{ secrets.KUBECONFIG_HEAL }}
      DATABASE_URL: \${{ secrets.DATABASE_URL }}
      AGE_RECIPIENTS: \${{ secrets.AGE_RECIPIENTS }}
      ALERT_WEBHOOK: \${{ secrets.ALERT_WEBHOOK }}
      PUSHGATEWAY_URL: \${{ secrets.PUSHGATEWAY_URL }}
`;

/** An action that records that it ran, and fails. */
const DECOY = {
  'action.yml': `name: decoy
inputs: {}
runs:
  using: node24
  main: decoy.js
`,
  'decoy.js': `require('fs').appendFileSync(process.env.DECOY_MARKER, __dirname + '\\n'); process.exit(1);\n`,
};
const decoyAt = (dir: string) =>
  Object.fromEntries(Object.entries(DECOY).map(([f, t]) => [`${dir}/${f}`, t]));

/** maintenance-daily.yml as it was before issue 10 (undefined in a shallow clone). */
const before = (() => {
  try {
    return execFileSync(
      'git',
      [
        'show',
        '559aaeb2c26f92069e11e585d3665dec9a71b43e:.github/workflows/maintenance-daily.yml',
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    return undefined;
  }
})();

const CALLER = 'acme/pqc-audit-deploy';
const CALLER_SHA = 'ca11e2ca11e2ca11e2ca11e2ca11e2ca11e2ca11';

let pg: PgServer;
let api: GitHubApi;
let app: HttpEndpoint;
let sim: KubeSim;
let kube: Identities;
let recipient: string;

beforeAll(async () => {
  [pg, api, app] = await Promise.all([
    startPostgres(),
    startGitHubApi(),
    startHttpEndpoint(),
  ]);
  app.respond('/health', { status: 200, body: 'ok' });
  await seedDatabase(pg, 'pqc_audit');
  ({ sim, kube } = await startServiceSim(pg));
  recipient = await age.identityToRecipient(await age.generateIdentity());
}, 240_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), api?.close(), app?.close(), sim?.close()]);
});

function world(
  callerFiles: Record<string, string>,
  pqcOps: World['repos'][string],
) {
  const marker = join(mkdtempSync(join(tmpdir(), 'wf-decoy-')), 'ran');
  const backups = mkdtempSync(join(tmpdir(), 'wf-caller-backups-'));
  const caller = repoOf(
    {
      ...callerFiles,
      ...decoyAt('actions/health'),
      ...decoyAt('actions/backup'),
      ...decoyAt('actions/maintenance-log'),
      ...decoyAt('.pqc-ops/actions/health'),
    },
    CALLER_SHA,
  );
  const w: World = {
    repos: { [CALLER]: caller, [PQC_OPS]: pqcOps },
    repository: CALLER,
    workspaceSeed: caller.dir,
    event: { name: 'schedule', payload: {} },
    token: api.token,
    env: { GITHUB_API_URL: api.url, DECOY_MARKER: marker },
    vars: {
      PQC_OPS_HEALTH_URL: `${app.url}/health`,
      PQC_OPS_BACKUP_DIR: backups,
    },
    secrets: {
      KUBECONFIG_READONLY: kube.readonly,
      KUBECONFIG_BACKUP: kube.backup,
      KUBECONFIG_HEAL: kube.heal,
      KUBECONFIG: kube.heal,
      DATABASE_URL: pg.url('pqc_audit'),
      AGE_RECIPIENTS: recipient,
    },
  };
  return { w, marker, backups };
}

describe('maintenance-daily.yml called from another repository at v1', () => {
  it("runs this suite's actions at v1: not the caller's, not pqc-ops' main", async () => {
    const v1 = pqcOpsSnapshot(V1_SHA, ['v1', 'v1.0.0']);
    const main = repoOf({ ...decoyAt('actions/health') }, V2_SHA, ['main']);
    const { w, marker, backups } = world(
      { '.github/workflows/daily.yml': DAILY_CALLER },
      [main, v1],
    );
    const run = new WorkflowRun(w);
    const r = await run.run('.github/workflows/daily.yml');
    expect(existsSync(marker), 'a decoy ran').toBe(false);
    expect(r.result, run.log.join('\n')).toBe('success');
    // The reusable workflow learnt its own repository and commit...
    expect(run.job('daily/pqc-ops').outputs).toEqual({
      repository: PQC_OPS,
      sha: V1_SHA,
    });
    for (const job of ['health', 'backup', 'log'])
      expect(
        run.log.some(
          (l) =>
            l.startsWith(
              `daily/${job}: checkout: ${PQC_OPS}@${V1_SHA} into `,
            ) && l.endsWith('/.pqc-ops'),
        ),
      ).toBe(true);
    // ...and every action of the suite ran from that checkout.
    const ran = run.jobs.flatMap((j) =>
      j.steps
        .filter((s) => s.actionDir)
        .map((s) => `${j.path} ${suiteAction(s.uses ?? '')}`),
    );
    expect(ran).toEqual([
      'daily/health health',
      'daily/backup backup',
      'daily/log maintenance-log',
    ]);
    for (const j of run.jobs)
      for (const s of j.steps.filter((x) => x.actionDir))
        expect(s.actionDir).toMatch(/\/\.pqc-ops\/actions\/[\w-]+$/);
    expect(
      readdirSync(backups).filter((f) => f.endsWith('.tar.age')),
    ).toHaveLength(1);
  }, 300_000);

  it.skipIf(before === undefined)(
    "fails where `uses: ./actions/<name>` was used: that path is the caller's",
    async () => {
      const oldCheckout = /actions\/checkout@[0-9a-f]{40}/g;
      const v0 = pqcOpsSnapshot(V2_SHA, ['v0'], {
        'maintenance-daily.yml': (before ?? '').replace(
          oldCheckout,
          `actions/checkout@${PINNED['actions/checkout']?.sha}`,
        ),
      });
      const caller = DAILY_CALLER.replace('@v1', '@v0').replace(
        / {4}with:[\s\S]*$/,
        `    with:
      namespace: pqc-audit
    secrets:
      KUBECONFIG: \${{ secrets.KUBECONFIG }}
      AGE_RECIPIENTS: \${{ secrets.AGE_RECIPIENTS }}
`,
      );
      const { w, marker } = world(
        { '.github/workflows/daily.yml': caller },
        v0,
      );
      const run = new WorkflowRun(w);
      await run.run('.github/workflows/daily.yml');
      expect(run.job('daily/health').result).toBe('failure');
      // The decoy in the caller's checkout ran, with the caller's kubeconfig in reach.
      expect(readFileSync(marker, 'utf8')).toMatch(/\/actions\/health\n$/);
      expect(readFileSync(marker, 'utf8')).not.toContain('.pqc-ops');
    },
    300_000,
  );
});
