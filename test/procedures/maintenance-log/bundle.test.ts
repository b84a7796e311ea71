// The bundled action as the runner runs it: INPUT_* variables (with the
// runner's dashes kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the
// event payload, against the simulated GitHub API and the real Pushgateway.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionEntry, parseOutputs } from '../../helpers/bundle.js';
import {
  startGitHubApi,
  startPushgateway,
  type GitHubApi,
  type Pushgateway,
} from '../../services/index.js';
import { healthResult, jobResults, result, writeResults } from './fixtures.js';

let api: GitHubApi;
let gw: Pushgateway;
let entry: string;

beforeAll(async () => {
  [api, gw] = await Promise.all([startGitHubApi(), startPushgateway()]);
  entry = actionEntry('maintenance-log', true);
}, 240_000);

afterAll(async () => {
  await Promise.all([api?.close(), gw?.stop()]);
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

function runEntry(
  inputs: Record<string, string>,
  env: Record<string, string>,
): Promise<Ran> {
  const runnerTemp = env['RUNNER_TEMP'] ?? '';
  const outFile = join(runnerTemp, 'output');
  const sumFile = join(runnerTemp, 'summary');
  writeFileSync(outFile, '');
  writeFileSync(sumFile, '');
  const full: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GITHUB_OUTPUT: outFile,
    GITHUB_STEP_SUMMARY: sumFile,
    ...env,
  };
  // The runner keeps dashes: INPUT_GITHUB-TOKEN.
  for (const [k, v] of Object.entries(inputs))
    full[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [entry], { env: full, cwd: runnerTemp });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    c.on('error', reject);
    c.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        outputs: parseOutputs(readFileSync(outFile, 'utf8')),
        summary: readFileSync(sumFile, 'utf8'),
      }),
    );
  });
}

describe('the maintenance-log bundle', () => {
  it('logs the job and the downloaded results, comments once, pushes the counter', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'mlog-runner-'));
    writeResults(jobResults(runnerTemp), [healthResult(30)]);
    const a = mkdtempSync(join(tmpdir(), 'mlog-artifact-a-'));
    const b = mkdtempSync(join(tmpdir(), 'mlog-artifact-b-'));
    writeResults(join(a, 'pqc-ops', 'results'), [healthResult(0)]);
    writeResults(join(b, 'results-backup'), [result('backup', 'ok', 2)]);
    writeFileSync(join(b, 'results-backup', 'torn.json'), '{"procedure":');
    const event = join(runnerTemp, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 12 } }));
    const inputs = {
      'results-dir': `${a}\n${b}\n`,
      'comment-on': 'auto',
      'issue-number': '',
      'github-token': api.token,
      labels: 'maintenance',
      cadence: '',
      environment: 'bundle',
      'pushgateway-url': gw.url,
    };
    const env = {
      RUNNER_TEMP: runnerTemp,
      GITHUB_EVENT_PATH: event,
      GITHUB_API_URL: api.url,
      GITHUB_REPOSITORY: 'acme/service',
      GITHUB_WORKFLOW: 'Pull request maintenance',
      GITHUB_RUN_ID: '777',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_ACTOR: 'octocat',
    };
    const r = await runEntry(inputs, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs['status']).toBe('warning');
    const log = readFileSync(r.outputs['log-file'] ?? '', 'utf8');
    expect(log).toContain('# Maintenance Log - 2025-05-06');
    expect(log).toContain('- [x] Backup (backup): passed');
    expect(log).toMatch(/- Unreadable result \S*torn\.json/);
    expect(r.summary).toContain('## Pre-maintenance Status');
    expect(r.stdout).toMatch(/::warning::unreadable result .*torn\.json/);
    const comments = api.comments('acme', 'service', 12);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(
      '<!-- pqc-ops:maintenance-log workflow=Pull%20request%20maintenance environment=bundle -->',
    );
    expect(
      await gw.sample('pqc_maintenance_tasks_total', {
        job: 'pqc-ops-maintenance',
        environment: 'bundle',
        task_type: 'health',
      }),
    ).toBe(2);
    // The runner consumes ::add-mask::; nothing else shows the token.
    expect(r.stdout).toContain(`::add-mask::${api.token}`);
    const shown = [
      r.stdout.replace(/^::add-mask::.*$/gm, ''),
      r.stderr,
      JSON.stringify(r.outputs),
      r.summary,
      log,
    ].join('\n');
    expect(shown).not.toContain(api.token);

    // The same workflow again: the comment is updated, not repeated.
    const again = await runEntry(inputs, {
      ...env,
      RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'mlog-runner-')),
    });
    expect(again.code).toBe(0);
    expect(api.comments('acme', 'service', 12)).toHaveLength(1);
  }, 120_000);

  it('fails with one line, after writing the summary and the file, when GitHub is down', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'mlog-runner-'));
    writeResults(jobResults(runnerTemp), [healthResult(0)]);
    const r = await runEntry(
      { 'comment-on': 'issue', 'issue-number': '3', 'github-token': 'ghs_x' },
      {
        RUNNER_TEMP: runnerTemp,
        GITHUB_API_URL: 'http://127.0.0.1:9',
        GITHUB_REPOSITORY: 'acme/service',
      },
    );
    expect(r.code).toBe(1);
    const errors = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error::maintenance-log: cannot write the log comment on acme\/service#3: cannot reach GitHub: /,
    );
    expect(r.summary).toContain('# Maintenance Log - ');
    expect(readFileSync(r.outputs['log-file'] ?? '', 'utf8')).toContain(
      '## Maintenance Activities',
    );
  }, 60_000);
});
