import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenanceLog } from '../../../src/procedures/maintenance-log/procedure.js';
import { commentMarker } from '../../../src/procedures/maintenance-log/target.js';
import { findLeaks, runProcedure } from '../../helpers/procedure.js';
import { startGitHubApi, type GitHubApi } from '../../services/index.js';
import { healthResult, jobResults, result, writeResults } from './fixtures.js';

const OWNER = 'acme';
const REPO = 'service';
const PR = 7;
const BOT = {
  login: 'github-actions[bot]',
  type: 'Bot' as const,
  id: 41898282,
};

let api: GitHubApi;
beforeAll(async () => {
  api = await startGitHubApi();
});
afterAll(async () => {
  await api?.close();
});

/** The environment of a workflow run on pull request `pr` (null: no event). */
function runEnv(
  extra: Record<string, string> = {},
  pr: number | null = PR,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['GITHUB_TOKEN'];
  Object.assign(env, {
    GITHUB_API_URL: api.url,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_WORKFLOW: 'Daily maintenance',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_ACTOR: 'octocat',
    ...extra,
  });
  if (pr !== null) {
    const event = join(
      mkdtempSync(join(tmpdir(), 'mlog-event-')),
      'event.json',
    );
    writeFileSync(
      event,
      JSON.stringify({
        action: 'synchronize',
        number: pr,
        pull_request: { number: pr },
      }),
    );
    env['GITHUB_EVENT_PATH'] = event;
  }
  return env;
}

/** This job's results: health, backup, health again. */
function seedJob(
  env: NodeJS.ProcessEnv,
  more = [result('backup', 'ok', 2)],
): void {
  writeResults(jobResults(env['RUNNER_TEMP'] ?? ''), [
    healthResult(0),
    ...more,
    healthResult(30),
  ]);
}

const marker = commentMarker('Daily maintenance', 'production');

describe('maintenance-log on GitHub', () => {
  it('creates one comment on the pull request, and updates it on the next run', async () => {
    const env = runEnv();
    seedJob(env);
    const inputs = { 'github-token': api.token, environment: 'production' };
    const first = await runProcedure(maintenanceLog, inputs, env);
    expect(first.failure).toBeUndefined();
    let comments = api.comments(OWNER, REPO, PR);
    expect(comments).toHaveLength(1);
    expect(
      comments[0]?.body.startsWith(`${marker}\n# Maintenance Log - 2025-05-06`),
    ).toBe(true);
    expect(comments[0]?.body).toContain('- [x] Backup (backup): passed');
    expect(
      first.result.checks.find((c) => c.name === 'comment')?.observed,
    ).toMatch(/^created /);
    const logFile = first.outputs['log-file'] ?? '';
    expect(readFileSync(logFile, 'utf8')).toContain(
      '## Post-maintenance Validation',
    );
    expect(first.markdown).toContain('# Maintenance Log - 2025-05-06');

    // The next run of the same workflow and environment: a failed backup.
    const env2 = runEnv();
    writeResults(jobResults(env2['RUNNER_TEMP'] ?? ''), [
      healthResult(0),
      result('backup', 'failed', 2),
    ]);
    const second = await runProcedure(maintenanceLog, inputs, env2);
    expect(second.failure).toBeUndefined();
    comments = api.comments(OWNER, REPO, PR);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('- [ ] Backup (backup): failed');
    expect(
      second.result.checks.find((c) => c.name === 'comment')?.observed,
    ).toMatch(/^updated /);
    expect(second.result.status).toBe('failed');

    // Another environment gets its own comment.
    const env3 = runEnv();
    seedJob(env3);
    await runProcedure(
      maintenanceLog,
      { ...inputs, environment: 'staging' },
      env3,
    );
    expect(api.comments(OWNER, REPO, PR)).toHaveLength(2);
  });

  it('never edits a comment by someone else, and reads every page', async () => {
    const pr = 8;
    const human = api.addComment(
      OWNER,
      REPO,
      pr,
      `${marker}\n# Maintenance Log - my notes`,
    );
    for (let i = 0; i < 120; i++)
      api.addComment(OWNER, REPO, pr, `comment ${i}`);
    const env = runEnv({}, pr);
    seedJob(env);
    const inputs = { 'github-token': api.token, environment: 'production' };
    await runProcedure(maintenanceLog, inputs, env);
    let ours = api
      .comments(OWNER, REPO, pr)
      .filter((c) => c.user.type === 'Bot');
    expect(ours).toHaveLength(1);
    expect(api.comments(OWNER, REPO, pr)[0]?.body).toBe(human.body);

    // Our comment is on page 2 now: the next run finds and updates it.
    await runProcedure(maintenanceLog, inputs, runEnv({}, pr));
    ours = api.comments(OWNER, REPO, pr).filter((c) => c.user.type === 'Bot');
    expect(ours).toHaveLength(1);
    expect(api.comments(OWNER, REPO, pr)).toHaveLength(122);
    expect(api.comments(OWNER, REPO, pr)[0]?.body).toBe(human.body);
    const lists = api.requests.filter((r) =>
      r.path.startsWith(`/repos/${OWNER}/${REPO}/issues/${pr}/comments?`),
    );
    expect(lists.some((r) => r.path.includes('page=2'))).toBe(true);
  });

  it('new-issue opens one issue with the labels, with the CLI token from $GITHUB_TOKEN', async () => {
    const env = runEnv(
      { GITHUB_WORKFLOW: 'Weekly maintenance', GITHUB_TOKEN: api.token },
      null,
    );
    seedJob(env);
    const before = api.issues(OWNER, REPO).length;
    const ex = await runProcedure(
      maintenanceLog,
      { 'comment-on': 'new-issue', labels: 'maintenance\nweekly' },
      env,
    );
    expect(ex.failure).toBeUndefined();
    const issues = api.issues(OWNER, REPO);
    expect(issues).toHaveLength(before + 1);
    const issue = issues.at(-1);
    expect(issue?.title).toBe('Maintenance Log - 2025-05-06 (weekly)');
    expect(issue?.labels.map((l) => l.name)).toEqual(['maintenance', 'weekly']);
    expect(issue?.body).toContain('## Maintenance Activities');
    expect(ex.masked).toContain(api.token);
  });

  it('waits out secondary rate limits, and names the approvers of an apply', async () => {
    const pr = 9;
    api.addApproval(OWNER, REPO, 5151, 'alice', ['production']);
    api.addApproval(OWNER, REPO, 5151, 'mallory', ['production'], 'rejected');
    const env = runEnv({ GITHUB_RUN_ID: '5151' }, pr);
    seedJob(env, [
      result('scale', 'ok', 5, {
        changes: [
          {
            what: 'scale 3 -> 5 replicas',
            where: 'Deployment pqc-audit/pqc-audit',
            undo: 'scale back to 3',
            at: '',
          },
        ],
      }),
    ]);
    const approvalsAt = api.requests.length;
    api.rateLimitNext({ retryAfter: 1 }); // the approvals read
    api.rateLimitNext({ status: 429, retryAfter: 1 }); // its retry, then gives up
    api.rateLimitNext({ primary: true, retryAfter: 1 }); // GET /user
    const ex = await runProcedure(
      maintenanceLog,
      { 'github-token': api.token, 'comment-on': 'pr' },
      env,
    );
    expect(ex.failure).toBeUndefined();
    const body = api.comments(OWNER, REPO, pr)[0]?.body ?? '';
    expect(body).toContain('Performed by: octocat');
    // The approvals read gave up after one retry (it is optional): no approvers.
    expect(body).not.toContain('approved by');
    expect(
      ex.logs.filter((l) => /rate limit .*retrying in 1 s/.test(l)),
    ).toHaveLength(2);
    const statuses = api.requests.slice(approvalsAt).map((r) => r.status);
    expect(statuses.slice(0, 4)).toEqual([403, 429, 403, 403]);

    // With the API answering, the approver is named.
    await runProcedure(
      maintenanceLog,
      { 'github-token': api.token, 'comment-on': 'pr' },
      runEnv({ GITHUB_RUN_ID: '5151' }, pr),
    );
    const again = api.comments(OWNER, REPO, pr);
    expect(again).toHaveLength(1);
    expect(again[0]?.body).toContain('approved by alice (production)');
    expect(again[0]?.body).not.toContain('mallory');
  });

  it('reports an unparsable result, keeps a comment under 65,536 characters with its checklist, and never shows the token', async () => {
    const pr = 10;
    const env = runEnv({}, pr);
    const artifacts = mkdtempSync(join(tmpdir(), 'mlog-artifacts-'));
    writeFileSync(
      join(artifacts, 'broken-backup.json'),
      '{"procedure": "backup", "status": ',
    );
    const huge = (p: string, at: number) =>
      result(p, 'ok', at, {
        details: [
          '| a | b |\n| --- | --- |\n' + '| 量子 | 🔐 |\n'.repeat(9000),
        ],
      });
    writeResults(join(artifacts, 'results-weekly', 'nested'), [
      healthResult(0),
      huge('backup-verify', 1),
      huge('backup', 2),
    ]);
    const ex = await runProcedure(
      maintenanceLog,
      {
        'github-token': api.token,
        'results-dir': artifacts,
        environment: 'production',
      },
      env,
    );
    expect(ex.failure).toBeUndefined();
    const body = api.comments(OWNER, REPO, pr)[0]?.body ?? '';
    expect([...body].length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('- [x] Backup verification (backup-verify): passed');
    expect(body).toContain('## Next Maintenance Items');
    expect(body).toContain("Shortened to fit GitHub's limit");
    expect(body).toContain('https://github.com/acme/service/actions/runs/4242');
    expect(body).toMatch(/- Unreadable result \S*broken-backup\.json: /);
    expect(ex.result.checks.find((c) => c.name === 'results')?.status).toBe(
      'warning',
    );
    expect(
      ex.logs.some((l) => l.startsWith('warning: unreadable result')),
    ).toBe(true);
    const log = readFileSync(ex.outputs['log-file'] ?? '', 'utf8');
    expect(log).not.toContain('Shortened');
    expect(Buffer.byteLength(ex.markdown)).toBeLessThan(1024 * 1024);

    expect(ex.masked).toContain(api.token);
    const shown = [
      JSON.stringify(ex.outputs),
      JSON.stringify(ex.result),
      ex.markdown,
      ex.logs.join('\n'),
      log,
      ...api.comments(OWNER, REPO, pr).map((c) => c.body),
    ].join('\n');
    expect(shown).not.toContain(api.token);
    expect(findLeaks([env['RUNNER_TEMP'] ?? ''], [api.token])).toEqual([]);
  });

  it('writes the log when GitHub is unreachable, then fails with one line', async () => {
    const env = runEnv({ GITHUB_API_URL: 'http://127.0.0.1:9' });
    seedJob(env);
    const ex = await runProcedure(
      maintenanceLog,
      { 'github-token': 'ghs_unreachable_token_0123456789' },
      env,
    );
    expect(ex.failure).toMatch(
      /^maintenance-log: cannot write the log comment on acme\/service#7: cannot reach GitHub: .*\(the log is in the job summary and the log-file\)$/,
    );
    expect(ex.failure).not.toContain('\n');
    expect(readFileSync(ex.outputs['log-file'] ?? '', 'utf8')).toContain(
      '# Maintenance Log - 2025-05-06',
    );
    expect(ex.markdown).toContain('## Maintenance Activities');
    expect(ex.result.checks.find((c) => c.name === 'comment')?.status).toBe(
      'failed',
    );
  });

  it('comment-on pr without a pull request or issue-number is a configuration error', async () => {
    const ex = await runProcedure(
      maintenanceLog,
      { 'github-token': api.token, 'comment-on': 'pr' },
      runEnv({}, null),
    );
    expect(ex.failureKind).toBe('configuration');
    expect(ex.failure).toMatch(
      /invalid configuration: .*give input 'issue-number'/,
    );
    // auto without a pull request: no comment, no failure
    const none = await runProcedure(
      maintenanceLog,
      { 'github-token': api.token },
      runEnv({}, null),
    );
    expect(none.failure).toBeUndefined();
    expect(none.logs).toContain('not commenting: the run has no pull request');
  });

  it('comments on the issue given by issue-number', async () => {
    const env = runEnv({}, null);
    seedJob(env);
    const ex = await runProcedure(
      maintenanceLog,
      {
        'github-token': api.token,
        'comment-on': 'issue',
        'issue-number': '31',
      },
      env,
    );
    expect(ex.failure).toBeUndefined();
    expect(api.comments(OWNER, REPO, 31)).toHaveLength(1);
    expect(api.comments(OWNER, REPO, 31)[0]?.user).toMatchObject(BOT);
  });
});
