// The inputs of a workflow: a reusable workflow's inputs and secrets checked
// and completed as GitHub does when it is called, and workflow_dispatch's.
import { toText, type Value } from './expressions.js';
import { workflowCall, type Workflow } from './load.js';

/** A reusable workflow's inputs and secrets, as the caller passed them. */
export interface Call {
  inputs: Record<string, Value>;
  secrets: Record<string, string>;
  granted?: Record<string, 'read' | 'write' | 'none'>;
}

/** Checks and completes a reusable workflow's inputs and secrets, as GitHub does. */
export function callOf(
  w: Workflow,
  given: Record<string, Value>,
  secrets: Record<string, string>,
  what: string,
): Call {
  const wc = workflowCall(w) ?? {};
  const decl = wc.inputs ?? {};
  const inputs: Record<string, Value> = {};
  for (const k of Object.keys(given))
    if (!(k in decl))
      throw new Error(
        `${what}: invalid input, ${k} is not defined in the referenced workflow`,
      );
  for (const [k, d] of Object.entries(decl)) {
    let v = k in given ? (given[k] ?? null) : undefined;
    if (v === undefined) {
      if (d.required)
        throw new Error(`${what}: input ${k} is required, but not provided`);
      v = (d.default ??
        (d.type === 'boolean' ? false : d.type === 'number' ? 0 : '')) as Value;
    }
    if (d.type === 'boolean' && typeof v !== 'boolean')
      throw new Error(
        `${what}: input ${k} must be a boolean, got ${JSON.stringify(v)}`,
      );
    if (d.type === 'number' && typeof v !== 'number')
      throw new Error(
        `${what}: input ${k} must be a number, got ${JSON.stringify(v)}`,
      );
    if (d.type === 'string' && typeof v !== 'string') v = toText(v);
    inputs[k] = v;
  }
  const sdecl = wc.secrets ?? {};
  for (const k of Object.keys(secrets))
    if (!(k in sdecl))
      throw new Error(
        `${what}: invalid secret, ${k} is not defined in the referenced workflow`,
      );
  for (const [k, d] of Object.entries(sdecl))
    if (d.required && !(k in secrets))
      throw new Error(
        `${what}: secret ${k} is required, but not provided while calling`,
      );
  return { inputs, secrets: { ...secrets } };
}

export function dispatchInputs(
  w: Workflow,
  given: Record<string, Value>,
): Record<string, Value> {
  const decl =
    (
      (w.on['workflow_dispatch'] ?? {}) as {
        inputs?: Record<
          string,
          {
            default?: unknown;
            required?: boolean;
            type?: string;
            options?: string[];
          }
        >;
      }
    ).inputs ?? {};
  const out: Record<string, Value> = {};
  for (const [k, d] of Object.entries(decl)) {
    const v =
      (k in given ? given[k] : d.default) ??
      (d.type === 'boolean' ? false : '');
    if (d.required && (v === '' || v === null))
      throw new Error(`dispatch input ${k} is required`);
    if (d.type === 'choice' && !(d.options ?? []).includes(toText(v as Value)))
      throw new Error(
        `dispatch input ${k}: ${toText(v as Value)} is not one of ${(d.options ?? []).join(', ')}`,
      );
    out[k] = v as Value;
  }
  for (const k of Object.keys(given))
    if (!(k in decl)) throw new Error(`unexpected dispatch input ${k}`);
  return out;
}
