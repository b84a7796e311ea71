import type { InputSpecs, OptionsOf } from './inputs/spec.js';
import type { StepResult } from './report/step-result.js';

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
  /** A private scratch directory for this run. */
  tempDir: string;
  /** Registers a derived secret (a password inside a URL) for masking. */
  maskSecret: (value: string) => void;
}

/** What a procedure hands back to its adapter. */
export interface ProcedureOutcome {
  result: StepResult;
  /** Outputs besides `result` and `report`, which the adapters add. */
  outputs: Record<string, string>;
  /** One line; when set, the step fails with it. */
  failure?: string;
}

/** A runbook procedure: its inputs, outputs and the function itself. */
export interface Procedure<S extends InputSpecs = InputSpecs> {
  name: string;
  title: string;
  description: string;
  inputs: S;
  /** Output name -> description (the adapters add `result` and `report`). */
  outputs: Record<string, string>;
  run(options: OptionsOf<S>, ctx: ProcedureContext): Promise<ProcedureOutcome>;
}

/** Keeps the option types when declaring a procedure. */
export function defineProcedure<S extends InputSpecs>(
  p: Procedure<S>,
): Procedure<S> {
  return p;
}

/** Outputs every procedure has, added by the adapters. */
export const COMMON_OUTPUTS: Record<string, string> = {
  result: 'The StepResult of the run, as JSON.',
  report: 'Path of the Markdown report of the run.',
};
