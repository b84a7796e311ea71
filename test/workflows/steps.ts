// The steps of one job, as the runner runs them: a fresh workspace and
// RUNNER_TEMP, `if:` per step, `with:` and `env:` resolved, built-in actions
// emulated, local node actions spawned with INPUT_* variables and the
// runner's files, `run:` scripts with bash; outputs, summaries, and which of
// the world's secrets reached the job.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseOutputs } from '../helpers/bundle.js';
import { runBuiltin, type BuiltinContext } from './builtin-actions.js';
import {
  condition,
  interpolate,
  toText,
  type Contexts,
  type Status,
  type Value,
} from './expressions.js';
import { readAction, type Job, type Step } from './load.js';
import type { JobRun, StepRun, World } from './world.js';

/** What the steps need of the run. */
export interface StepHost {
  world: World;
  artifacts: string;
  log: string[];
  /** github.sha */
  callerSha: string;
  /** github.workflow */
  workflowName: string;
}

/**
 * Runs a job's steps in order (a failed step fails the job; later steps run
 * only when their `if:` says so), then evaluates the job's outputs.
 */
export async function runSteps(
  host: StepHost,
  path: string,
  job: Job,
  base: Contexts,
  run: JobRun,
  timeoutMs: number,
): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'pqc-ops-wf-ws-'));
  if (host.world.workspaceSeed)
    cpSync(host.world.workspaceSeed, workspace, { recursive: true });
  const temp = mkdtempSync(join(tmpdir(), 'pqc-ops-wf-temp-'));
  run.runnerTemp = temp;
  const steps: Record<string, Value> = {};
  const ctx: Contexts = {
    ...base,
    steps,
    runner: { ...(base['runner'] as object), temp },
  };
  let failed = false;
  for (const [n, st] of (job.steps ?? []).entries()) {
    const status: Status = {
      success: () => !failed,
      failure: () => failed,
      cancelled: () => false,
    };
    const label = st.id ?? st.name ?? st.uses ?? `step ${n + 1}`;
    const sr: StepRun = {
      label,
      uses: st.uses,
      outcome: 'skipped',
      outputs: {},
      inputs: {},
      stdout: '',
      stderr: '',
      summary: '',
    };
    run.steps.push(sr);
    if (!condition(st.if, ctx, status)) continue;
    try {
      await step(host, path, st, ctx, { workspace, temp, timeoutMs }, sr, run);
    } catch (e) {
      sr.outcome = 'failure';
      sr.stderr += `\n${e instanceof Error ? e.message : String(e)}`;
    }
    if (sr.outcome === 'failure') {
      failed = true;
      host.log.push(
        `${path}: step ${label} failed:\n${sr.stdout}\n${sr.stderr}`,
      );
    }
    if (st.id)
      steps[st.id] = {
        outputs: sr.outputs,
        outcome: sr.outcome,
        conclusion: sr.outcome,
      };
  }
  run.result = failed ? 'failure' : 'success';
  for (const [k, v] of Object.entries(job.outputs ?? {}))
    run.outputs[k] = toText(interpolate(v, ctx));
}

async function step(
  host: StepHost,
  path: string,
  step: Step,
  ctx: Contexts,
  where: { workspace: string; temp: string; timeoutMs: number },
  sr: StepRun,
  run: JobRun,
): Promise<void> {
  run.exportedEnv ??= {};
  const env = {
    ...run.exportedEnv,
    ...Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]) => [
        k,
        toText(interpolate(v, ctx)),
      ]),
    ),
  };
  const given = Object.fromEntries(
    Object.entries(step.with ?? {}).map(([k, v]) => [
      k,
      toText(interpolate(v, ctx)),
    ]),
  );
  noteSecrets(host, run, [...Object.values(env), ...Object.values(given)]);
  if (step.run !== undefined) {
    const script = toText(interpolate(step.run, ctx));
    const file = join(where.temp, `step-${Date.now()}.sh`);
    writeFileSync(file, script);
    await spawnStep(
      host,
      ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file],
      path,
      where,
      env,
      sr,
      run,
    );
    return;
  }
  const uses = step.uses ?? '';
  if (!uses.startsWith('./')) {
    sr.inputs = given;
    const builtin: BuiltinContext = {
      workspace: where.workspace,
      artifacts: host.artifacts,
      repos: host.world.repos,
      repository: host.world.repository,
      sha: host.callerSha,
      runId: host.world.runId ?? '4242',
      pastRuns: host.world.pastRuns ?? {},
      log: (l) => host.log.push(`${path}: ${l}`),
      exportEnv: (k, v) => ((run.exportedEnv ??= {})[k] = v),
    };
    sr.outputs = runBuiltin(uses, given, builtin);
    sr.outcome = 'success';
    return;
  }
  const dir = resolve(where.workspace, uses);
  const meta = readAction(dir);
  if (!meta) throw new Error(`Can't find 'action.yml' under '${dir}'`);
  if (!/^node\d+$/.test(meta.runs.using) || !meta.runs.main)
    throw new Error(`${uses}: the test runner runs node actions only`);
  const unexpected = Object.keys(given).filter(
    (k) => !(k in (meta.inputs ?? {})),
  );
  // GitHub warns and runs the action anyway (lint.ts refuses them).
  if (unexpected.length)
    host.log.push(
      `${path}: ${uses}: unexpected input(s) ${unexpected.join(', ')}`,
    );
  const inputs: Record<string, string> = {};
  for (const [k, decl] of Object.entries(meta.inputs ?? {}))
    inputs[k] =
      k in given
        ? (given[k] ?? '')
        : toText(interpolate(decl.default ?? '', ctx));
  sr.inputs = inputs;
  sr.actionDir = dir;
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  await spawnStep(
    host,
    [process.execPath, resolve(dir, meta.runs.main)],
    path,
    where,
    env,
    sr,
    run,
  );
}

/** Records which of the world's secrets reached a job, by value. */
function noteSecrets(host: StepHost, run: JobRun, values: string[]): void {
  for (const [name, secret] of Object.entries(host.world.secrets ?? {}))
    if (secret && values.some((v) => v.includes(secret)))
      run.secretsUsed.add(name);
}

function spawnStep(
  host: StepHost,
  argv: string[],
  path: string,
  where: { workspace: string; temp: string; timeoutMs: number },
  stepEnv: Record<string, string>,
  sr: StepRun,
  run: JobRun,
): Promise<void> {
  const files = mkdtempSync(join(where.temp, 'step-'));
  const f = (n: string) => {
    writeFileSync(join(files, n), '');
    return join(files, n);
  };
  const output = f('output');
  const githubEnv = f('env');
  const summary = f('summary');
  const eventPath = join(where.temp, 'event.json');
  if (!existsSync(eventPath))
    writeFileSync(eventPath, JSON.stringify(host.world.event?.payload ?? {}));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    // The test run's own temp directory (test/global-setup.ts).
    TMPDIR: process.env['TMPDIR'],
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: where.temp,
    GITHUB_WORKSPACE: where.workspace,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_ENV: githubEnv,
    GITHUB_PATH: f('path'),
    GITHUB_STATE: f('state'),
    GITHUB_REPOSITORY: host.world.repository,
    GITHUB_REPOSITORY_OWNER: host.world.repository.split('/')[0],
    GITHUB_SHA: host.callerSha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: host.world.runId ?? '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: host.workflowName,
    GITHUB_JOB: path.split('/').pop(),
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_EVENT_NAME: host.world.event?.name ?? 'workflow_dispatch',
    GITHUB_EVENT_PATH: eventPath,
    ...host.world.env,
    ...stepEnv,
  };
  return new Promise((done, fail) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), {
      env,
      cwd: where.workspace,
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), where.timeoutMs);
    child.stdout.on('data', (d: Buffer) => (sr.stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (sr.stderr += String(d)));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      sr.outcome = code === 0 ? 'success' : 'failure';
      sr.outputs = parseOutputs(readFileSync(output, 'utf8'));
      sr.summary = readFileSync(summary, 'utf8');
      Object.assign(
        (run.exportedEnv ??= {}),
        parseOutputs(readFileSync(githubEnv, 'utf8')),
      );
      done();
    });
  });
}
