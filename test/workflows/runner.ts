// A small GitHub Actions runner for the tests: it runs a workflow's jobs as
// written, in the order `needs` gives, with `if:` conditions, a reusable
// workflow's inputs, secrets and outputs, job and step outputs, environments
// (approved or rejected by the test), the built-in actions emulated
// (builtin-actions.ts) and every local action run as the runner runs it:
// `node <runs.main>` with INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, RUNNER_TEMP and the workspace as its directory.
// Expressions are resolved from the given inputs, secrets and variables, so a
// workflow that cannot work fails here as it would on GitHub.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSnapshot, type RepoSnapshot } from './builtin-actions.js';
import { callOf, dispatchInputs, type Call } from './calls.js';
import {
  condition,
  interpolate,
  toText,
  type Contexts,
  type Status,
  type Value,
} from './expressions.js';
import {
  excessPermissions,
  jobOrder,
  needsOf,
  permissionsOf,
  readWorkflow,
  workflowCall,
  type Job,
  type Workflow,
} from './load.js';
import { runSteps } from './steps.js';
import type { JobRun, World } from './world.js';

export type { JobRun, RepoSnapshot, StepRun, World } from './world.js';

/** Where a workflow file is: repository, commit, the ref it was called at. */
interface Location {
  repo: string;
  dir: string;
  sha: string;
  ref: string;
  path: string;
}

/** A run of one workflow and everything it called. */
export class WorkflowRun {
  readonly jobs: JobRun[] = [];
  readonly log: string[] = [];
  readonly artifacts: string;
  private topName = '';
  private topPath = '';

  constructor(readonly world: World) {
    this.artifacts = mkdtempSync(join(tmpdir(), 'pqc-ops-wf-artifacts-'));
  }

  /** The commit of the world's repository that runs. */
  private caller(): RepoSnapshot {
    const all = this.world.repos[this.world.repository];
    const first = Array.isArray(all) ? all[0] : all;
    if (!first) throw new Error(`world has no ${this.world.repository}`);
    return first;
  }

  /** The job at `path` (`daily/health`), or an error naming what ran. */
  job(path: string): JobRun {
    const j = this.jobs.find((x) => x.path === path);
    if (!j)
      throw new Error(
        `no job ${path}; ran: ${this.jobs.map((x) => x.path).join(', ')}`,
      );
    return j;
  }

  /**
   * Runs `path` of the world's repository, as its trigger (world.event), or,
   * for a reusable workflow run directly, as called with `call`.
   */
  async run(
    path: string,
    call?: { inputs?: Record<string, Value>; secrets?: Record<string, string> },
  ): Promise<{
    result: 'success' | 'failure';
    outputs: Record<string, string>;
  }> {
    const repo = this.caller();
    const w = readWorkflow(repo.dir, path);
    this.topName = w.name ?? path;
    this.topPath = path;
    const loc = {
      repo: this.world.repository,
      dir: repo.dir,
      sha: repo.sha,
      ref: 'refs/heads/main',
      path,
    };
    const trigger = this.world.event?.name ?? 'workflow_dispatch';
    let c: Call | undefined;
    let dispatch: Record<string, Value> | undefined;
    if (trigger in w.on) {
      if (trigger === 'workflow_dispatch')
        dispatch = dispatchInputs(w, call?.inputs ?? {});
    } else if (workflowCall(w)) {
      c = callOf(w, call?.inputs ?? {}, call?.secrets ?? {}, path);
    } else throw new Error(`${path} has no trigger ${trigger}`);
    return this.workflow(w, loc, '', c, dispatch);
  }

  private async workflow(
    w: Workflow,
    loc: Location,
    prefix: string,
    call: Call | undefined,
    dispatch: Record<string, Value> | undefined,
  ): Promise<{
    result: 'success' | 'failure';
    outputs: Record<string, string>;
  }> {
    const results: Record<
      string,
      { result: string; outputs: Record<string, string> }
    > = {};
    for (const id of jobOrder(w)) {
      const job = w.jobs[id];
      const needs = Object.fromEntries(
        needsOf(job).map((n) => [n, results[n] as unknown as Value]),
      );
      const ctx = this.contexts(loc, call, dispatch, needs, id);
      const run = await this.runJob(w, loc, prefix + id, job, ctx, call);
      results[id] = { result: run.result, outputs: run.outputs };
    }
    const failed = Object.values(results).some((r) => r.result === 'failure');
    const outputs: Record<string, string> = {};
    const wc = workflowCall(w);
    if (call && wc?.outputs) {
      const jobs = results as unknown as Value;
      for (const [k, o] of Object.entries(wc.outputs))
        outputs[k] = toText(
          interpolate(o.value, {
            ...this.contexts(loc, call, dispatch, {}, ''),
            jobs,
          }),
        );
    }
    return { result: failed ? 'failure' : 'success', outputs };
  }

  private contexts(
    loc: Location,
    call: Call | undefined,
    dispatch: Record<string, Value> | undefined,
    needs: Record<string, Value>,
    jobId: string,
  ): Contexts {
    const w = this.world;
    const callerSha = this.caller().sha;
    const secrets: Record<string, Value> = call
      ? { ...call.secrets }
      : { ...(w.secrets ?? {}), GITHUB_TOKEN: w.token ?? '' };
    return {
      github: {
        repository: w.repository,
        repository_owner: w.repository.split('/')[0] ?? '',
        sha: callerSha,
        ref: 'refs/heads/main',
        event_name: w.event?.name ?? 'workflow_dispatch',
        event: (w.event?.payload ?? {}) as Value,
        workflow: this.topName,
        workflow_ref: `${w.repository}/${this.topPath}@refs/heads/main`,
        workflow_sha: callerSha,
        job: jobId,
        run_id: w.runId ?? '4242',
        run_attempt: '1',
        actor: 'octocat',
        server_url: 'https://github.com',
        api_url: w.env?.['GITHUB_API_URL'] ?? 'https://api.github.com',
        token: w.token ?? '',
      },
      inputs: call?.inputs ?? dispatch ?? {},
      secrets,
      vars: w.vars ?? {},
      needs: needs,
      job: {
        status: 'success',
        workflow_repository: loc.repo,
        workflow_sha: loc.sha,
        workflow_ref: `${loc.repo}/${loc.path}@${loc.ref}`,
        workflow_file_path: loc.path,
      },
      env: {},
      matrix: {},
      strategy: {},
      steps: {},
      runner: { os: 'Linux', arch: 'X64', temp: '', name: 'test-runner' },
    };
  }

  private status(needs: Value): Status {
    const rs = Object.values(
      (needs ?? {}) as Record<string, { result: string }>,
    );
    return {
      success: () => rs.every((r) => r.result === 'success'),
      failure: () => rs.some((r) => r.result === 'failure'),
      cancelled: () => false,
    };
  }

  private async runJob(
    w: Workflow,
    loc: Location,
    path: string,
    job: Job,
    ctx: Contexts,
    call: Call | undefined,
  ): Promise<JobRun> {
    const run: JobRun = {
      path,
      result: 'skipped',
      outputs: {},
      steps: [],
      secretsUsed: new Set(),
    };
    this.jobs.push(run);
    if (!condition(job.if, ctx, this.status(ctx['needs'] ?? null))) {
      this.log.push(`${path}: skipped`);
      return run;
    }
    if (call?.granted) {
      const wanted =
        permissionsOf(job.permissions) ?? permissionsOf(w.permissions) ?? {};
      const excess = excessPermissions(call.granted, wanted);
      if (excess.length)
        throw new Error(
          `${path} asks for ${excess.join(', ')}, which its caller does not grant`,
        );
    }
    if (job.uses) {
      await this.callJob(loc, path, job, ctx, run);
      return run;
    }
    for (const k of ['runs-on', 'timeout-minutes'] as const)
      if (!truthyText(interpolate(job[k], ctx)))
        throw new Error(`${path}: ${k} evaluates to nothing`);
    if (job.environment !== undefined) {
      const e = job.environment as { name?: unknown } | string;
      run.environment = toText(
        interpolate(typeof e === 'object' ? e.name : e, ctx),
      );
      if (!run.environment)
        throw new Error(`${path}: environment evaluates to nothing`);
      if (!(this.world.approve ?? (() => true))(run.environment, path)) {
        this.log.push(`${path}: rejected in ${run.environment}`);
        run.result = 'failure';
        return run;
      }
    }
    const timeoutMs = Math.min(
      Number(toText(interpolate(job['timeout-minutes'], ctx))) * 60_000,
      this.world.stepTimeoutMs ?? 240_000,
    );
    await runSteps(
      {
        world: this.world,
        artifacts: this.artifacts,
        log: this.log,
        callerSha: this.caller().sha,
        workflowName: this.topName,
      },
      path,
      job,
      ctx,
      run,
      timeoutMs,
    );
    return run;
  }

  private async callJob(
    loc: Location,
    path: string,
    job: Job,
    ctx: Contexts,
    run: JobRun,
  ): Promise<void> {
    const target = this.locate(loc, job.uses ?? '');
    const called = readWorkflow(target.dir, target.path);
    if (!workflowCall(called))
      throw new Error(`${path}: ${job.uses} is not a reusable workflow`);
    const inputs = Object.fromEntries(
      Object.entries(job.with ?? {}).map(([k, v]) => [k, interpolate(v, ctx)]),
    );
    const secretsCtx = ctx['secrets'] as Record<string, string>;
    const secrets =
      job.secrets === 'inherit'
        ? { ...secretsCtx }
        : Object.fromEntries(
            Object.entries(job.secrets ?? {}).map(([k, v]) => [
              k,
              toText(interpolate(v, ctx)),
            ]),
          );
    const c = callOf(called, inputs, secrets, job.uses ?? '');
    const granted = permissionsOf(job.permissions);
    if (granted) c.granted = granted;
    const r = await this.workflow(called, target, `${path}/`, c, undefined);
    run.result = r.result;
    run.outputs = r.outputs;
  }

  /** A `uses:` of a reusable workflow: local (same commit) or owner/repo/path@ref. */
  private locate(from: Location, uses: string): Location {
    if (uses.startsWith('./')) return { ...from, path: uses.slice(2) };
    const m = /^([^/]+\/[^/]+)\/(.+)@(.+)$/.exec(uses);
    if (!m) throw new Error(`cannot read uses: ${uses}`);
    const [, repo = '', path = '', ref = ''] = m;
    const snap = findSnapshot(this.world.repos, repo, ref);
    if (!snap) throw new Error(`${uses}: ${repo} has no ref ${ref}`);
    return {
      repo,
      dir: snap.dir,
      sha: snap.sha,
      ref: ref === snap.sha ? ref : `refs/tags/${ref}`,
      path,
    };
  }
}

function truthyText(v: Value): boolean {
  return toText(v).trim() !== '';
}
