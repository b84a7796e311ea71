import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RefusedError } from '../errors.js';
import { input } from '../inputs/spec.js';
import type { ResultBuilder } from '../report/step-result.js';
import {
  loadPlan,
  movedObjects,
  planSha256,
  renderPlan,
  serializePlan,
  targetDifferences,
  type Plan,
  type PlannedChange,
  type StateRef,
} from './plan.js';

/** The change-control inputs every mutating procedure has. */
export const changeControlInputs = {
  mode: input.enumeration('mode', ['plan', 'apply', 'auto'] as const, {
    default: 'plan',
    description:
      'plan: compute and show the changes, change nothing. apply: execute an approved plan (input plan). auto: plan and apply in one step (sandbox, staging).',
  }),
  plan: input.string('plan', {
    description:
      'For mode apply: the approved plan, as JSON or a path to the plan file.',
  }),
  planSha256: input.string('plan-sha256', {
    description:
      "For mode apply: the sha256 of the approved plan (the plan job's plan-sha256 output). When given, any other plan is refused.",
  }),
};

/** The change-control outputs every mutating procedure has. */
export const changeControlOutputs = {
  plan: 'The plan, as JSON (over 256 KiB: the path of the plan file instead, as GitHub caps the outputs of a job at 1 MiB).',
  'plan-sha256':
    'The sha256 that identifies the plan; pass it to the apply step.',
  'plan-file': 'Path of the plan file, for an artifact.',
  applied: 'true when the changes were executed.',
};

export type ChangeControlOutput = keyof typeof changeControlOutputs;

/** What a mutating procedure supplies to the plan/apply machinery. */
export interface Mutation {
  procedure: string;
  /**
   * What this run targets: cluster server, namespaces, database, and every
   * parameter the plan is computed from (scale's replicas, restore's
   * components). On apply the plan's target must equal it, key by key.
   */
  target: Plan['target'];
  /** Reads the live state and computes the changes. Changes nothing. */
  makePlan(): Promise<{ basis: StateRef[]; changes: PlannedChange[] }>;
  /** Reads the live state of everything the plan's basis names. */
  liveState(plan: Plan): Promise<StateRef[]>;
  /**
   * Executes exactly the plan's changes, recording each (with its undo),
   * except those on `skip`: objects of the basis marked `onDrift: 'skip'`
   * that moved since the plan (apply only; the drift check reported them).
   */
  execute(plan: Plan, skip: ReadonlyMap<string, string>): Promise<void>;
  /** Checks afterwards that the changes took effect. */
  verify(plan: Plan): Promise<void>;
  /**
   * Takes the target's lock (a Lease) before the drift check, so no other run
   * changes the target between that check and the changes; returns its release.
   */
  lock?(): Promise<() => Promise<void>>;
}

export interface ChangeControlInput {
  mode: 'plan' | 'apply' | 'auto';
  plan: string | undefined;
  planSha256: string | undefined;
}

export interface ChangeControlOutcome {
  plan: Plan;
  sha256: string;
  planFile: string;
  applied: boolean;
}

/**
 * For validate(): in mode apply, the plan input must be there and be a plan
 * of this procedure, unedited (and the approved one), before anything else is
 * read or contacted.
 */
export function checkPlanInput(
  cc: ChangeControlInput,
  procedure: string,
): void {
  if (cc.mode === 'apply') loadPlan(cc.plan, procedure, cc.planSha256);
}

/**
 * Largest plan JSON put in the `plan` output: GitHub caps all of a job's
 * outputs together at 1 MiB. A bigger plan's output is its file's path.
 */
export const PLAN_OUTPUT_MAX = 256 * 1024;

function planOutput(cc: ChangeControlOutcome): string {
  const json = serializePlan(cc.plan, cc.sha256);
  return json.length > PLAN_OUTPUT_MAX ? cc.planFile : json;
}

/** The change-control outputs of an outcome (empty ones before a plan exists). */
export function changeControlValues(
  cc: ChangeControlOutcome | undefined,
): Record<ChangeControlOutput, string> {
  return {
    plan: cc ? planOutput(cc) : '',
    'plan-sha256': cc?.sha256 ?? '',
    'plan-file': cc?.planFile ?? '',
    applied: String(cc?.applied ?? false),
  };
}

/**
 * plan: compute, show and store the plan, change nothing. apply: load the
 * approved plan (its hash recomputed and required), refuse one made for
 * another target or with other parameters, take the lock, refuse on drift,
 * execute exactly its changes, verify. auto: both in one step.
 */
/** What change control needs of the run besides the mutation. */
export interface ChangeControlContext {
  planDir: string;
  /** Non-secret inputs as given; recorded in the plan (without the change-control ones). */
  givenInputs: Record<string, string>;
  /** Asked after the drift check, before the first change; false refuses the apply. */
  confirm?: (question: string) => Promise<boolean>;
}

const CHANGE_CONTROL_INPUTS = new Set(['mode', 'plan', 'plan-sha256']);

/** The inputs a plan records: all given but the change-control ones. */
export function planInputs(
  given: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(given).filter(([k]) => !CHANGE_CONTROL_INPUTS.has(k)),
  );
}

export async function runChangeControlled(
  m: Mutation,
  cc: ChangeControlInput,
  rb: ResultBuilder,
  ctx: ChangeControlContext,
): Promise<ChangeControlOutcome> {
  const plan =
    cc.mode === 'apply' ? approvedPlan(m, cc) : await newPlan(m, ctx);
  const sha256 = planSha256(plan);
  await mkdir(ctx.planDir, { recursive: true, mode: 0o700 });
  const planFile = join(
    ctx.planDir,
    `${m.procedure}-plan-${sha256.slice(0, 12)}.json`,
  );
  await writeFile(planFile, serializePlan(plan, sha256) + '\n', {
    mode: 0o600,
  });
  rb.details.push(renderPlan(plan, sha256));
  rb.check({
    name: 'plan',
    status: 'ok',
    observed: `${plan.changes.length} change(s), sha256 ${sha256.slice(0, 12)}`,
  });
  if (cc.mode === 'plan' || plan.changes.length === 0) {
    return { plan, sha256, planFile, applied: false };
  }
  const release = await m.lock?.();
  try {
    const skip =
      cc.mode === 'apply' ? await refuseDrift(m, plan, rb) : new Map();
    await confirmApply(
      ctx,
      plan,
      sha256,
      cc.mode === 'apply' ? 'checked' : 'not checked',
    );
    await m.execute(plan, skip);
    await m.verify(plan);
  } finally {
    await release?.();
  }
  return { plan, sha256, planFile, applied: true };
}

async function confirmApply(
  ctx: ChangeControlContext,
  plan: Plan,
  sha256: string,
  drifted: 'checked' | 'not checked',
): Promise<void> {
  if (!ctx.confirm) return;
  const n = plan.changes.length;
  const shown = plan.changes
    .slice(0, 20)
    .map((c) => `  ${c.object}: ${c.action} (undo: ${c.undo})`);
  if (n > shown.length) shown.push(`  ... and ${n - shown.length} more`);
  const ok = await ctx.confirm(
    [
      drifted === 'checked'
        ? `Drift check: the live state matches the plan (${plan.basis.length} object(s) read).`
        : 'Drift check: none (a plan made in this run).',
      ...shown,
      `Apply plan ${sha256.slice(0, 12)} of ${plan.procedure} (${n} change${n === 1 ? '' : 's'}) to ${String(plan.target.server ?? 'the target')}?`,
    ].join('\n'),
  );
  if (!ok)
    throw new RefusedError('the apply was not confirmed: nothing was changed');
}

async function newPlan(m: Mutation, ctx: ChangeControlContext): Promise<Plan> {
  const { basis, changes } = await m.makePlan();
  const inputs = planInputs(ctx.givenInputs);
  return {
    apiVersion: 'pqc-ops/v1',
    kind: 'Plan',
    procedure: m.procedure,
    target: m.target,
    inputs,
    createdAt: new Date().toISOString(),
    basis,
    changes,
  };
}

function approvedPlan(m: Mutation, cc: ChangeControlInput): Plan {
  const plan = loadPlan(cc.plan, m.procedure, cc.planSha256);
  const diff = targetDifferences(plan.target, m.target);
  if (diff.length > 0)
    throw new RefusedError(
      `the plan does not fit this run (${diff.join('; ')}): apply it with the inputs it was made with, or make and approve a new plan`,
    );
  return plan;
}

/**
 * Refuses the plan when an object it relies on moved; returns the objects
 * marked `onDrift: 'skip'` that moved (object -> why), whose changes alone
 * are skipped.
 */
async function refuseDrift(
  m: Mutation,
  plan: Plan,
  rb: ResultBuilder,
): Promise<Map<string, string>> {
  const all = movedObjects(plan.basis, await m.liveState(plan));
  const moved = all.filter((x) => x.ref.onDrift !== 'skip').map((x) => x.why);
  if (moved.length > 0) {
    rb.check({
      name: 'drift',
      status: 'failed',
      observed: `${moved.length} object(s) changed since the plan`,
      detail: moved.join('; '),
    });
    throw new RefusedError(
      `the live state drifted since the plan was approved: ${moved.join('; ')}. Make and approve a new plan.`,
    );
  }
  const skip = new Map(all.map((x) => [x.ref.object, x.why]));
  rb.check(
    skip.size === 0
      ? { name: 'drift', status: 'ok', observed: 'live state matches the plan' }
      : {
          name: 'drift',
          status: 'warning',
          observed: `${skip.size} object(s) changed since the plan: their changes are skipped, the rest applied`,
          detail: [...skip.values()].slice(0, 20).join('; '),
        },
  );
  return skip;
}
