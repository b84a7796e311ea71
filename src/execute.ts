import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputs } from './inputs/spec.js';
import type {
  Logger,
  Procedure,
  ProcedureContext,
  ProcedureOutcome,
} from './procedure.js';
import { renderResult } from './report/markdown.js';
import { persistResult, resultsDir } from './report/persist.js';

/** What an adapter (action or CLI) provides to run a procedure. */
export interface Host {
  getInput: (name: string) => string;
  mask: (secret: string) => void;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

/** A finished run: the procedure's outcome plus where its records were written. */
export interface Execution extends ProcedureOutcome {
  reportPath: string;
  resultPath: string;
  markdown: string;
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
 * Reads and validates every input of a procedure, masking secrets; throws a
 * ConfigurationError naming each bad input before anything is touched.
 */
export function readProcedureInputs(p: Procedure, host: Host): unknown {
  return readInputs(p.inputs, host.getInput, (s) => maskAll(host.mask, s));
}

/**
 * Runs the procedure with inputs read by `readProcedureInputs` (read here when
 * not given), and persists its result and report.
 */
export async function executeProcedure(
  p: Procedure,
  host: Host,
  options: unknown = readProcedureInputs(p, host),
): Promise<Execution> {
  const mask = (s: string) => maskAll(host.mask, s);
  const base = host.env['RUNNER_TEMP'] || tmpdir();
  await mkdir(base, { recursive: true });
  const tempDir = await mkdtemp(join(base, `pqc-ops-${p.name}-`));
  const ctx: ProcedureContext = {
    log: host.log,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    env: host.env,
    tempDir,
    maskSecret: mask,
  };
  const outcome = await p.run(options as Parameters<Procedure['run']>[0], ctx);
  const resultPath = await persistResult(
    resultsDir(host.env, tmpdir()),
    outcome.result,
  );
  const markdown = renderResult(outcome.result);
  const reportPath = join(tempDir, `${p.name}-report.md`);
  await writeFile(reportPath, markdown + '\n');
  return { ...outcome, reportPath, resultPath, markdown };
}
