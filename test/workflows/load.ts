// Workflow and action metadata as the runner reads them, for the static
// checks and the workflow runner.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from '../helpers/bundle.js';

/** A step of a job. */
export interface Step {
  id?: string;
  name?: string;
  if?: unknown;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: unknown;
  'timeout-minutes'?: unknown;
}

/** A job: steps on a runner, or a call of a reusable workflow. */
export interface Job {
  name?: string;
  needs?: string | string[];
  if?: unknown;
  'runs-on'?: unknown;
  'timeout-minutes'?: unknown;
  environment?: unknown;
  concurrency?: unknown;
  permissions?: unknown;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: 'inherit' | Record<string, unknown>;
}

/** An input of workflow_call or workflow_dispatch. */
export interface WorkflowInput {
  description?: string;
  type?: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required?: boolean;
  default?: unknown;
  options?: string[];
}

/** A workflow file. */
export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: unknown;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** The workflow_call trigger of a reusable workflow. */
export interface WorkflowCall {
  inputs?: Record<string, WorkflowInput>;
  secrets?: Record<string, { required?: boolean; description?: string }>;
  outputs?: Record<string, { value: string; description?: string }>;
}

/** An action's metadata (action.yml). */
export interface ActionMeta {
  name: string;
  inputs?: Record<
    string,
    { required?: boolean; default?: string; description?: string }
  >;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main?: string };
}

/** Parses a workflow file; `on` normalised to an object. */
export function parseWorkflow(text: string): Workflow {
  const w = parse(text) as Workflow & { on: unknown };
  const on = w.on;
  w.on =
    typeof on === 'string'
      ? { [on]: null }
      : Array.isArray(on)
        ? Object.fromEntries(on.map((e: string) => [e, null]))
        : on;
  return w;
}

/** Reads `<dir>/<path>` as a workflow. */
export function readWorkflow(dir: string, path: string): Workflow {
  return parseWorkflow(readFileSync(join(dir, path), 'utf8'));
}

/** The workflow_call trigger, or undefined when the workflow is not reusable. */
export function workflowCall(w: Workflow): WorkflowCall | undefined {
  if (!('workflow_call' in w.on)) return undefined;
  return w.on['workflow_call'] ?? {};
}

/** The action.yml (or action.yaml) of an action directory, or undefined. */
export function readAction(dir: string): ActionMeta | undefined {
  for (const f of ['action.yml', 'action.yaml']) {
    const p = join(dir, f);
    if (existsSync(p)) return parse(readFileSync(p, 'utf8')) as ActionMeta;
  }
  return undefined;
}

/** This repository's workflows, by file name. */
export function repoWorkflows(): Map<string, Workflow> {
  const dir = join(root, '.github', 'workflows');
  return new Map(
    readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => [f, readWorkflow(dir, f)]),
  );
}

/** The names of the jobs a job needs. */
export function needsOf(job: Job): string[] {
  return job.needs === undefined
    ? []
    : Array.isArray(job.needs)
      ? job.needs
      : [job.needs];
}

/** Jobs in an order that runs every job after the ones it needs. */
export function jobOrder(w: Workflow): string[] {
  const ids = Object.keys(w.jobs);
  const done: string[] = [];
  const visit = (id: string, path: string[]) => {
    if (done.includes(id)) return;
    if (path.includes(id)) throw new Error(`needs cycle: ${path.join(' -> ')}`);
    const job = w.jobs[id];
    if (!job) throw new Error(`unknown job '${id}' in needs`);
    for (const n of needsOf(job)) visit(n, [...path, id]);
    done.push(id);
  };
  for (const id of ids) visit(id, []);
  return done;
}

/** The permission scopes a job asks for (`{}` when none), or undefined if unset. */
export function permissionsOf(
  p: unknown,
): Record<string, 'read' | 'write' | 'none'> | undefined {
  if (p === undefined || p === null) return undefined;
  if (p === 'read-all' || p === 'write-all')
    return { '*': p === 'read-all' ? 'read' : 'write' };
  return p as Record<string, 'read' | 'write' | 'none'>;
}

const LEVEL = { none: 0, read: 1, write: 2 } as const;

/** Scopes of `wanted` that `granted` does not allow. */
export function excessPermissions(
  granted: Record<string, 'read' | 'write' | 'none'>,
  wanted: Record<string, 'read' | 'write' | 'none'>,
): string[] {
  return Object.entries(wanted)
    .filter(([scope, level]) => {
      const g = granted[scope] ?? granted['*'] ?? 'none';
      return LEVEL[level] > LEVEL[g];
    })
    .map(([scope, level]) => `${scope}: ${level}`);
}
