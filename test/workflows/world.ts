// What a workflow run sees of the world, and what it leaves: the inputs and
// the record of the test runner (runner.ts).
import type { RepoSnapshot } from './builtin-actions.js';

export type { RepoSnapshot } from './builtin-actions.js';

/** Everything outside the workflow: repositories, secrets, the event, peers. */
export interface World {
  /** Repositories by `owner/name` (one commit each, or several); the first of `repository` is the commit that runs. */
  repos: Record<string, RepoSnapshot | RepoSnapshot[]>;
  /** The repository whose workflow runs (github.repository). */
  repository: string;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  event?: { name: string; payload?: Record<string, unknown> };
  /** Extra environment of every step (GITHUB_API_URL of a simulated API, ...). */
  env?: Record<string, string>;
  /** github.token. */
  token?: string;
  /** A reviewer of `environment` approves the job (default: yes). */
  approve?: (environment: string, job: string) => boolean;
  /** Every job's workspace starts as a copy of this (a self-hosted runner's leftovers). */
  workspaceSeed?: string;
  /** github.run_id of this run (default 4242). */
  runId?: string;
  /** Artifact stores of earlier runs by run id (WorkflowRun.artifacts), for download-artifact's run-id. */
  pastRuns?: Record<string, string>;
  /** Upper bound of one step, whatever its job's timeout-minutes. */
  stepTimeoutMs?: number;
}

/** One step as it ran. */
export interface StepRun {
  label: string;
  uses?: string;
  outcome: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  /** The inputs it received (INPUT_* by input name). */
  inputs: Record<string, string>;
  /** The directory of the action that ran (local actions). */
  actionDir?: string;
  stdout: string;
  stderr: string;
  summary: string;
}

/** One job as it ran; `path` is `caller/called` for jobs of reusable workflows. */
export interface JobRun {
  path: string;
  result: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  steps: StepRun[];
  environment?: string;
  /** Names of the world's secrets whose values reached the job's steps. */
  secretsUsed: Set<string>;
  runnerTemp?: string;
  /** Variables steps wrote to GITHUB_ENV: every later step of the job sees them. */
  exportedEnv?: Record<string, string>;
}
