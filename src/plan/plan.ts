import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, RefusedError } from '../errors.js';
import { FileReadError, readFileCappedSync } from '../process/read-file.js';
import { table } from '../report/markdown.js';

/** The live state of one thing a plan will touch, as it was when planned. */
export interface StateRef {
  /** "Deployment pqc-audit/pqc-audit", "database pqc_audit", "path /data". */
  object: string;
  uid?: string;
  /** What `version` is: an object's resourceVersion or generation, or a content hash. */
  versionKind: 'resourceVersion' | 'generation' | 'sha256' | 'value';
  version: string;
  /** What the version stands for, readable ("revision 3, notAfter ..."), shown when it moved. */
  state?: string;
  /**
   * What a move of this object means on apply: `refuse` (the default) refuses
   * the whole plan; `skip` skips the changes to this object alone and reports
   * it (independent items such as housekeeping's files, where one file
   * written since the plan must not stop the others).
   */
  onDrift?: 'refuse' | 'skip';
}

/** One change the plan will make. */
export interface PlannedChange {
  object: string;
  action: string;
  reason: string;
  undo: string;
  /** Free-form parameters the apply step needs (target replicas, member names). */
  params?: Record<string, unknown>;
}

/** A change plan: what will change, why, how to undo it, and from which state. */
export interface Plan {
  apiVersion: 'pqc-ops/v1';
  kind: 'Plan';
  procedure: string;
  target: {
    server?: string;
    namespaces?: string[];
    database?: string;
    [k: string]: unknown;
  };
  /**
   * The non-secret inputs the plan was made with, as given, so that
   * `pqc-ops apply <plan>` can repeat the run (absent in older plans).
   */
  inputs?: Record<string, string>;
  createdAt: string;
  basis: StateRef[];
  changes: PlannedChange[];
}

/** Deterministic JSON: object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The plan's identity: sha256 of its canonical JSON (without the sha256 field). */
export function planSha256(p: Plan): string {
  const { sha256: _ignored, ...rest } = p as Plan & { sha256?: string };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The plan document as shown and stored: the plan plus its sha256. */
export function serializePlan(p: Plan, sha256 = planSha256(p)): string {
  return JSON.stringify({ ...p, sha256 }, null, 2);
}

/**
 * Reads the `plan` input (JSON or a path), checks it is a plan for this
 * procedure, that its sha256 matches its content, and, when given, the
 * approved sha256.
 */
export function loadPlan(
  raw: string | undefined,
  procedure: string,
  approvedSha?: string,
): Plan {
  const src = raw?.trim() ?? '';
  if (src === '') {
    throw new ConfigurationError(
      "input 'plan' is required for mode apply: give the plan JSON or the path of the plan file",
    );
  }
  let text = src;
  if (Buffer.byteLength(src) > PLAN_MAX_BYTES)
    throw new ConfigurationError(
      `input 'plan' is over the ${PLAN_MAX_BYTES}-byte limit of a plan`,
    );
  if (!src.startsWith('{')) {
    if (!existsSync(src))
      throw new ConfigurationError(
        `input 'plan': no file at ${src}: give the plan JSON or a path`,
      );
    text = readPlanFile(planFileIn(src));
  }
  let doc: Plan & { sha256?: string };
  try {
    doc = JSON.parse(text) as Plan & { sha256?: string };
  } catch {
    throw new ConfigurationError(
      "input 'plan' is not valid JSON: give the plan document a plan run produced",
    );
  }
  if (
    doc?.kind !== 'Plan' ||
    doc.apiVersion !== 'pqc-ops/v1' ||
    !Array.isArray(doc.changes) ||
    !Array.isArray(doc.basis)
  ) {
    throw new ConfigurationError(
      "input 'plan' is not a pqc-ops plan (kind Plan, apiVersion pqc-ops/v1)",
    );
  }
  if (doc.procedure !== procedure) {
    throw new ConfigurationError(
      `input 'plan' was made by ${doc.procedure}, not ${procedure}`,
    );
  }
  const actual = planSha256(doc);
  if (typeof doc.sha256 !== 'string' || doc.sha256 === '') {
    throw new RefusedError(
      'the plan has no sha256 field: give the plan file exactly as the plan run wrote it',
    );
  }
  if (doc.sha256 !== actual) {
    throw new RefusedError(
      `the plan was modified after it was made: its content hashes to ${actual}, not ${doc.sha256}`,
    );
  }
  const approved = approvedSha?.trim();
  if (approved && approved !== actual) {
    throw new RefusedError(
      `the plan is not the approved one: sha256 ${actual}, approved ${approved}`,
    );
  }
  const unbased = doc.changes
    .map((c) => c.object)
    .filter((o) => !doc.basis.some((b) => b.object === o));
  if (unbased.length > 0) {
    throw new RefusedError(
      `the plan changes ${unbased.join(', ')} without recording its live state (basis), so drift cannot be checked`,
    );
  }
  const { sha256: _s, ...plan } = doc;
  return plan;
}

/** Plans are small: a bigger or non-regular file is not one of ours. */
export const PLAN_MAX_BYTES = 4 * 1024 * 1024;

function readPlanFile(path: string): string {
  try {
    return readFileCappedSync(path, PLAN_MAX_BYTES, `input 'plan': ${path}`);
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    throw new ConfigurationError(
      e.code === 'not-regular'
        ? `input 'plan': ${path} is not a regular file: give the plan file a plan run wrote`
        : e.message,
    );
  }
}

/** A plan path may be a downloaded artifact directory holding one plan file. */
function planFileIn(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path).filter((f) =>
    /-plan-[0-9a-f]{12}\.json$/.test(f),
  );
  if (files.length !== 1) {
    throw new ConfigurationError(
      `input 'plan': ${path} is a directory with ${files.length} plan files; give the plan file itself`,
    );
  }
  return join(path, files[0] ?? '');
}

/** One object that moved since the plan, and how. */
export interface Moved {
  ref: StateRef;
  /** One line: "<object> changed (...)". */
  why: string;
}

/** The objects that moved between the planned state and the live one. */
export function movedObjects(planned: StateRef[], live: StateRef[]): Moved[] {
  const now = new Map(live.map((s) => [s.object, s]));
  const out: Moved[] = [];
  for (const p of planned) {
    const l = now.get(p.object);
    let why: string | undefined;
    if (!l) why = `${p.object} no longer exists`;
    else if (p.uid && l.uid && p.uid !== l.uid)
      why = `${p.object} was deleted and recreated (uid ${p.uid} -> ${l.uid})`;
    else if (p.version !== l.version)
      why = `${p.object} changed (${p.versionKind} ${p.version} -> ${l.version}${p.state !== undefined && l.state !== undefined && p.state !== l.state ? `; ${p.state} -> ${l.state}` : ''})`;
    if (why !== undefined) out.push({ ref: p, why });
  }
  return out;
}

/** What moved between the planned state and the live one; empty = no drift. */
export function drift(planned: StateRef[], live: StateRef[]): string[] {
  return movedObjects(planned, live).map((m) => m.why);
}

/**
 * Where a plan's target and this run's differ, key by key (cluster server,
 * namespaces, database and every parameter the plan was made with); empty
 * when they agree.
 */
export function targetDifferences(
  planned: Plan['target'],
  current: Plan['target'],
): string[] {
  const keys = new Set([...Object.keys(planned), ...Object.keys(current)]);
  const out: string[] = [];
  for (const k of [...keys].sort()) {
    const a = canonicalJson(planned[k] ?? null);
    const b = canonicalJson(current[k] ?? null);
    if (a !== b) out.push(`${k}: the plan has ${a}, this run ${b}`);
  }
  return out;
}

/** The plan as a Markdown section for the job summary. */
export function renderPlan(p: Plan, sha: string): string {
  const rows = p.changes.map((c) => [c.object, c.action, c.reason, c.undo]);
  return [
    `#### Plan \`${sha.slice(0, 12)}\` (${p.changes.length} change${p.changes.length === 1 ? '' : 's'})`,
    '',
    p.changes.length > 0
      ? table(['Object', 'Action', 'Reason', 'Undo'], rows)
      : 'Nothing to change.',
    '',
    `<sub>sha256 ${sha}; computed ${p.createdAt} from ${p.basis.length} object(s) read live</sub>`,
  ].join('\n');
}
