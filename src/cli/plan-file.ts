import { ConfigurationError, errorMessage } from '../errors.js';
import { planSha256, renderPlan, type Plan } from '../plan/plan.js';
import { readFileCappedSync } from '../process/read-file.js';
import { renderResult } from '../report/markdown.js';
import type { StepResult } from '../report/step-result.js';
import type { Redactor } from './redact.js';

/** Plans and results are small: anything bigger is not one of ours. */
const MAX_BYTES = 8 * 1024 * 1024;

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileCappedSync(file, MAX_BYTES, what);
  } catch (e) {
    throw new ConfigurationError(errorMessage(e));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigurationError(
      `${what} is not JSON: give a plan file or a result file pqc-ops wrote`,
    );
  }
}

function isPlan(d: unknown): d is Plan & { sha256?: string } {
  const p = d as Partial<Plan> | null;
  return (
    p?.kind === 'Plan' &&
    p.apiVersion === 'pqc-ops/v1' &&
    Array.isArray(p.changes)
  );
}

function isResult(d: unknown): d is StepResult {
  const r = d as Partial<StepResult> | null;
  return typeof r?.procedure === 'string' && Array.isArray(r.checks);
}

/** The procedure a plan file was made by, and the inputs it was made with. */
export function planOrigin(file: string): {
  procedure: string;
  inputs: Record<string, string>;
} {
  const doc = readJson(file, `plan file ${file}`);
  if (!isPlan(doc))
    throw new ConfigurationError(
      `${file} is not a pqc-ops plan (kind Plan, apiVersion pqc-ops/v1)`,
    );
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.inputs ?? {}))
    if (typeof v === 'string') inputs[k] = v;
  return { procedure: String(doc.procedure), inputs };
}

/** A plan or a StepResult file as the Markdown the action would write. */
export function showFile(file: string): string {
  const doc = readJson(file, file);
  if (isPlan(doc)) {
    const { sha256, ...plan } = doc;
    const actual = planSha256(plan);
    const seal =
      sha256 === actual
        ? `sha256 ${actual} (matches the file)`
        : `sha256 ${actual}; the file says ${sha256 ?? 'nothing'}: it was edited after it was made, and apply will refuse it`;
    return `### Plan of ${plan.procedure}\n\n${renderPlan(plan, actual)}\n\n${seal}`;
  }
  if (isResult(doc)) return renderResult(doc);
  throw new ConfigurationError(
    `${file} is neither a plan nor a StepResult that pqc-ops wrote`,
  );
}

/** How many changes the `plan` output holds (a path, for a plan too big for an output: some). */
function planChanges(plan: string): number {
  try {
    const doc = JSON.parse(plan) as { changes?: unknown[] };
    return doc.changes?.length ?? 0;
  } catch {
    return plan.trim() === '' ? 0 : 1;
  }
}

/** After a plan with changes: where the plan is, and the command that applies it. */
export function applyHint(
  outputs: Record<string, string>,
  io: { err: (s: string) => void },
  red: Redactor,
): void {
  const file = outputs['plan-file'];
  const sha = outputs['plan-sha256'];
  if (!file || !sha || outputs['applied'] === 'true') return;
  if (planChanges(outputs['plan'] ?? '') === 0) return;
  io.err(
    red.apply(
      `plan written to ${file}\napply it with:\n  pqc-ops apply ${file} --plan-sha256 ${sha}`,
    ),
  );
}
