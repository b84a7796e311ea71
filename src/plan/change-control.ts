import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RefusedError } from '../errors.js';
import type { ResultBuilder } from '../report/step-result.js';
import {
  drift,
  loadPlan,
  planSha256,
  renderPlan,
  serializePlan,
  type Plan,
  type StateRef,
} from './plan.js';

/** What a mutating procedure supplies to the plan/apply machinery. */
export interface Mutation {
  procedure: string;
  /** Reads the live state and computes the plan. Changes nothing. */
  makePlan(): Promise<Plan>;
  /** Reads the live state of everything the plan's basis names. */
  liveState(plan: Plan): Promise<StateRef[]>;
  /** Why this plan does not fit the current options/target, or undefined. */
  mismatch?(plan: Plan): string | undefined;
  /** Executes the changes, recording each (with its undo) in the builder. */
  execute(plan: Plan): Promise<void>;
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
 * plan: compute, show and store the plan, change nothing. apply: load the
 * approved plan, re-read the live state, refuse on drift, execute, verify.
 * auto: both in one step.
 */
export async function runChangeControlled(
  m: Mutation,
  cc: ChangeControlInput,
  rb: ResultBuilder,
  planDir: string,
): Promise<ChangeControlOutcome> {
  let plan: Plan;
  if (cc.mode === 'apply') {
    plan = loadPlan(cc.plan, m.procedure, cc.planSha256);
    const bad = m.mismatch?.(plan);
    if (bad) throw new RefusedError(`the plan does not fit this run: ${bad}`);
  } else {
    plan = await m.makePlan();
  }
  const sha256 = planSha256(plan);
  await mkdir(planDir, { recursive: true });
  const planFile = join(
    planDir,
    `${m.procedure}-plan-${sha256.slice(0, 12)}.json`,
  );
  await writeFile(planFile, serializePlan(plan) + '\n', { mode: 0o600 });
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
    if (cc.mode === 'apply') {
      const moved = drift(plan.basis, await m.liveState(plan));
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
      rb.check({
        name: 'drift',
        status: 'ok',
        observed: 'live state matches the plan',
      });
    }
    await m.execute(plan);
    await m.verify(plan);
  } finally {
    await release?.();
  }
  return { plan, sha256, planFile, applied: true };
}
