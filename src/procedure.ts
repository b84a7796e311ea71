import type { InputSpecs, OptionsOf } from './inputs/spec.js';
import type { ProgressFn } from './report/progress.js';
import type { Check, ResultBuilder, StepResult } from './report/step-result.js';

/** Where a procedure writes its messages; the action adapter maps it to the runner log. */
export interface Logger {
  info: (msg: string) => void;
  warning: (msg: string) => void;
  error: (msg: string) => void;
  debug: (msg: string) => void;
  group: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** What a procedure receives besides its options. Nothing global. */
export interface ProcedureContext {
  log: Logger;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  env: NodeJS.ProcessEnv;
  /** A private scratch directory for this run, removed when it ends. */
  tempDir: string;
  /** Where files that outlive the run go (reports): `$RUNNER_TEMP/pqc-ops`, or the CLI's `--out-dir`. */
  outputDir: string;
  /** Where plans are written: `<outputDir>/plans`, or the CLI's `--plan-dir`. */
  planDir: string;
  /** Where StepResult files are written: `<outputDir>/results`. */
  resultsDir: string;
  /** The non-secret inputs given to this run, by input name, as given. */
  givenInputs: Record<string, string>;
  /**
   * Reports long work (bytes of a dump, renewals pending); the adapter shows
   * it as a line updated in place on a terminal, else a line per interval.
   */
  progress: ProgressFn;
  /** Asked before an approved plan is applied (the CLI on a TTY); absent: no question. */
  confirm?: (question: string) => Promise<boolean>;
  /** Registers a derived secret (a password inside a URL) for masking. */
  maskSecret: (value: string) => void;
  /** Aborted when the run is cancelled (SIGTERM/SIGINT, as GitHub sends). */
  signal: AbortSignal;
  /**
   * Starts the run's record, held by the executor as it is being built, so
   * that if the run throws, the checks made and changes already done are kept
   * in the failed record (a half-applied plan is reported, never forgotten).
   */
  record: (target?: Record<string, string>) => ResultBuilder;
}

/** What a procedure hands back to its adapter. */
export interface ProcedureOutcome<O extends string = string> {
  result: StepResult;
  /** Outputs besides `status`, `result` and `report`, which the adapters add. */
  outputs: Record<O, string>;
  /** One line; when set, the step fails with it. */
  failure?: string;
}

/** How a run that could not finish failed: it decides the one line and the exit code. */
export type FailureKind =
  | 'configuration'
  | 'refused'
  | 'cancelled'
  | 'unreachable'
  | 'forbidden'
  | 'error';

/** A run that threw (or whose inputs were bad), as the failure hook sees it. */
export interface RunFailure {
  kind: FailureKind;
  /** One line: why. */
  message: string;
}

/** A runbook procedure: its inputs, outputs, rules and the function itself. */
export interface Procedure<
  S extends InputSpecs = InputSpecs,
  O extends string = string,
> {
  name: string;
  title: string;
  description: string;
  inputs: S;
  /** Output name -> description (the adapters add `status`, `result` and `report`). */
  outputs: Record<O, string>;
  /**
   * Rules across inputs, run with input parsing (before anything is touched,
   * and for every procedure of a chain before the first one runs). Throws a
   * ConfigurationError naming the inputs and the accepted combination.
   */
  validate?(options: OptionsOf<S>, env: NodeJS.ProcessEnv): void;
  run(
    options: OptionsOf<S>,
    ctx: ProcedureContext,
  ): Promise<ProcedureOutcome<O>>;
  /**
   * Called when the run cannot produce its own record (bad input, a throw,
   * a cancel): pushes the failure metric, escalates. `options` holds every
   * input that parsed on its own. Returns checks for the record; never throws
   * past the executor (a throw becomes a warning check).
   */
  onFailure?(
    options: Partial<OptionsOf<S>>,
    failure: RunFailure,
    ctx: ProcedureContext,
  ): Promise<Check[]>;
  /** Outputs to set when the run failed before producing its own (health's `status`). */
  failureOutputs?: Partial<Record<O, string>>;
  /** The procedure's own report, where it differs from the standard rendering. */
  render?(result: StepResult): string;
}

/** Keeps the option and output types when declaring a procedure. */
export function defineProcedure<S extends InputSpecs, O extends string>(
  p: Procedure<S, O>,
): Procedure<S, O> {
  return p;
}

/** A procedure whose option and output types no longer matter (registry, adapters). */
export type AnyProcedure = Procedure<InputSpecs, string>;

/** Outputs every procedure has, added by the adapters (a procedure may define its own `status`). */
export const COMMON_OUTPUTS: Record<string, string> = {
  status:
    'The outcome of the run: ok, warning, failed or skipped (the StepResult status).',
  result: 'The StepResult of the run, as JSON.',
  report: 'Path of the Markdown report of the run.',
};
