import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, RefusedError, errorMessage } from './errors.js';
import { readInputs } from './inputs/read.js';
import type { InputSpecs } from './inputs/spec.js';
import { KubeError } from './kube/errors.js';
import { terminateChildren } from './process/children.js';
import type {
  AnyProcedure,
  FailureKind,
  Logger,
  ProcedureContext,
  ProcedureOutcome,
  RunFailure,
} from './procedure.js';
import { renderResult } from './report/markdown.js';
import { persistResult } from './report/persist.js';
import type { ProgressFn } from './report/progress.js';
import { parseDurationWithin } from './inputs/parsers.js';
import { ResultBuilder, type Check } from './report/step-result.js';

/** What an adapter (action or CLI) provides to run a procedure. */
export interface Host {
  getInput: (name: string) => string;
  mask: (secret: string) => void;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGTERM/SIGINT: the run cleans up, records and fails. */
  signal?: AbortSignal;
  /**
   * Where reports, result files and plans go; by default
   * `$RUNNER_TEMP/pqc-ops` (the action). The CLI sets `--out-dir`.
   */
  outputDir?: string;
  /** Where plans are written; default `<outputDir>/plans`. The CLI sets `--plan-dir`. */
  planDir?: string;
  /** Keep the run's scratch directory (the CLI's `--keep-temp`). */
  keepTemp?: boolean;
  /** Where progress of long work goes; none: not shown. */
  progress?: ProgressFn;
  /** Asked before an approved plan is applied, after the drift check (the CLI on a TTY). */
  confirm?: (question: string) => Promise<boolean>;
}

/** A finished run: the outcome plus where its records were written. */
export interface Execution extends ProcedureOutcome {
  reportPath: string;
  resultPath: string;
  markdown: string;
  /** Set when the run failed before or instead of producing its own record. */
  failureKind?: FailureKind;
}

/** A progress interval: a duration from 1s to 1h; throws on anything else. */
export function parseProgressInterval(raw: string): number {
  return parseDurationWithin(raw, 1000, 3_600_000);
}

/**
 * The progress interval outside a terminal: `PQC_OPS_PROGRESS_INTERVAL` (a
 * duration from 1s to 1h), else 10 s (also when it does not parse: progress
 * is never worth failing a run for).
 */
export function progressInterval(env: NodeJS.ProcessEnv): number {
  const raw = env['PQC_OPS_PROGRESS_INTERVAL']?.trim();
  try {
    return raw ? parseProgressInterval(raw) : 10_000;
  } catch {
    return 10_000;
  }
}

/** Registers a secret and, for multi-line values, each credential-looking line. */
export function maskAll(mask: (s: string) => void, value: string): void {
  if (value.trim() === '') return;
  mask(value);
  if (!value.includes('\n')) return;
  for (const line of value.split('\n')) {
    const v = line
      .replace(/^[^:]*:\s*/, '')
      .trim()
      .replace(/^["']|["']$/g, '');
    if (v.length >= 16) mask(v);
  }
}

/**
 * Reads every input of a procedure (masking secrets first), then its rules
 * across inputs; throws one ConfigurationError naming each bad input before
 * anything is touched.
 */
export function readProcedureInputs(p: AnyProcedure, host: Host): unknown {
  const options = readInputs(p.inputs, host.getInput, (s) =>
    maskAll(host.mask, s),
  );
  p.validate?.(options, host.env);
  return options;
}

/**
 * The non-secret inputs that were given, as given (plans record them, so
 * that `pqc-ops apply <plan>` can repeat the run the plan was made by).
 */
function givenInputs(
  specs: InputSpecs,
  get: (name: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of Object.values(specs)) {
    const raw = get(spec.name);
    const secret =
      typeof spec.secret === 'function' ? spec.secret(raw) : spec.secret;
    if (raw.trim() !== '' && !secret) out[spec.name] = raw;
  }
  return out;
}

/** Every input that parses on its own, for the failure hook of a run with bad input. */
export function partialInputs(
  specs: InputSpecs,
  get: (name: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = get(spec.name).trim() || (spec.default ?? '');
    try {
      out[key] = raw === '' ? spec.empty : spec.parse(raw);
    } catch {
      // a bad input is simply absent here
    }
  }
  return out;
}

/** The kind of a failure, which decides its one line and the CLI's exit code. */
export function failureKind(e: unknown, signal?: AbortSignal): FailureKind {
  if (e instanceof ConfigurationError) return 'configuration';
  if (signal?.aborted) return 'cancelled';
  if (e instanceof RefusedError) return 'refused';
  if (e instanceof KubeError) {
    if (e.code === 401 || e.code === 403) return 'forbidden';
    if (e.code === undefined) return 'unreachable';
  }
  return 'error';
}

const KIND_LABEL: Record<FailureKind, string> = {
  configuration: 'invalid configuration',
  refused: 'refused',
  cancelled: 'cancelled',
  unreachable: 'cannot reach the cluster',
  forbidden: 'forbidden',
  error: 'error',
};

function makeContext(
  p: AnyProcedure,
  host: Host,
  tempDir: string,
  outputDir: string,
  kept: ResultBuilder[],
): ProcedureContext {
  const name = p.name;
  const now = () => new Date();
  const signal = host.signal ?? new AbortController().signal;
  return {
    planDir: host.planDir ?? join(outputDir, 'plans'),
    resultsDir: join(outputDir, 'results'),
    confirm: host.confirm,
    progress: host.progress ?? (() => undefined),
    givenInputs: givenInputs(p.inputs, host.getInput),
    record: (target) => {
      const rb = new ResultBuilder(name, now, target);
      kept.push(rb);
      return rb;
    },
    outputDir,
    log: host.log,
    now,
    sleep: (ms) => abortableSleep(ms, signal),
    env: host.env,
    tempDir,
    maskSecret: (s) => maskAll(host.mask, s),
    signal,
  };
}

/**
 * A wait that a cancel ends at once (rejecting), so a procedure polling a
 * rollout or a renewal unwinds through its `finally` blocks (Lease released,
 * record kept) instead of waiting for the hard exit.
 */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a procedure and guarantees its record: whatever happens (bad input,
 * an unreachable API, a 403, a refused plan, a bug, a cancel) there is a
 * StepResult, a result file, a report and outputs, and a failure is one line.
 * `options` are inputs already read by `readProcedureInputs` (read here when
 * not given). Never throws.
 */
export async function executeProcedure(
  p: AnyProcedure,
  host: Host,
  options?: unknown,
): Promise<Execution> {
  const startedAt = new Date();
  const base = host.env['RUNNER_TEMP'] || tmpdir();
  await mkdir(base, { recursive: true });
  const tempDir = await mkdtemp(join(base, `pqc-ops-${p.name}-`));
  const kept: ResultBuilder[] = [];
  const outputDir = host.outputDir ?? join(base, 'pqc-ops');
  const ctx = makeContext(p, host, tempDir, outputDir, kept);
  const onAbort = () => terminateChildren();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let outcome: ProcedureOutcome;
  let kind: FailureKind | undefined;
  try {
    let opts = options;
    try {
      opts ??= readProcedureInputs(p, host);
      if (ctx.signal.aborted) throw new Error('cancelled before it started');
      outcome = await p.run(opts as never, ctx);
    } catch (e) {
      kind = failureKind(e, ctx.signal);
      if (kind !== 'configuration' && kind !== 'refused') {
        host.log.debug(e instanceof Error ? (e.stack ?? e.message) : String(e));
      }
      const partial = opts ?? partialInputs(p.inputs, (n) => host.getInput(n));
      outcome = await failedOutcome(p, startedAt, ctx, partial, kept[0], {
        kind,
        message: errorMessage(e),
      });
    }
    if (ctx.signal.aborted && !outcome.failure) {
      kind = 'cancelled';
      outcome.failure = `${p.name}: cancelled`;
      outcome.result.status = 'failed';
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const markdown = (p.render ?? renderResult)(outcome.result);
  const resultPath = await persistResult(ctx.resultsDir, outcome.result);
  const reportDir = join(ctx.outputDir, 'reports');
  await mkdir(reportDir, { recursive: true });
  const reportPath = join(
    reportDir,
    `${outcome.result.endedAt.replace(/[:.]/g, '-')}-${p.name}.md`,
  );
  await writeFile(reportPath, markdown + '\n', { mode: 0o600 });
  if (host.keepTemp) host.log.info(`scratch directory kept: ${tempDir}`);
  else
    await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
  return { ...outcome, reportPath, resultPath, markdown, failureKind: kind };
}

/** The record of a run that threw: one failed check, the hook's checks, empty outputs. */
async function failedOutcome(
  p: AnyProcedure,
  startedAt: Date,
  ctx: ProcedureContext,
  partial: unknown,
  kept: ResultBuilder | undefined,
  failure: RunFailure,
): Promise<ProcedureOutcome> {
  // What the run recorded before it threw (checks made, changes done) stays.
  const rb = kept ?? new ResultBuilder(p.name, () => startedAt);
  const label = KIND_LABEL[failure.kind];
  rb.check({ name: label, status: 'failed', observed: failure.message });
  const extra = await runFailureHook(p, partial, failure, ctx);
  for (const c of extra) rb.check(c);
  if (failure.kind === 'configuration' || failure.kind === 'refused')
    rb.followUps.push('Nothing was changed: fix the cause and run it again.');
  const result = rb.finish(`${label}: ${failure.message}`, 'failed');
  result.endedAt = new Date().toISOString();
  const outputs: Record<string, string> = {};
  for (const k of Object.keys(p.outputs)) outputs[k] = '';
  Object.assign(outputs, p.failureOutputs ?? {});
  // The message already says forbidden, refused or unreachable; only the
  // user's mistake gets a prefix, so the CLI and the log read the same, and
  // a cancel whose message is what it interrupted (an exec closed under it).
  const prefix =
    failure.kind === 'configuration' ||
    (failure.kind === 'cancelled' && !/cancel/i.test(failure.message))
      ? `${label}: `
      : '';
  return { result, outputs, failure: `${p.name}: ${prefix}${failure.message}` };
}

async function runFailureHook(
  p: AnyProcedure,
  partial: unknown,
  failure: RunFailure,
  ctx: ProcedureContext,
): Promise<Check[]> {
  if (!p.onFailure) return [];
  try {
    return await p.onFailure(partial as never, failure, ctx);
  } catch (e) {
    return [
      {
        name: 'failure hook',
        status: 'warning',
        observed: errorMessage(e),
      },
    ];
  }
}
