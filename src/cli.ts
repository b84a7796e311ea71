import { resolve } from 'node:path';
import {
  CLI_OPTIONS,
  CLI_SWITCHES,
  CLI_VALUES,
  envName,
  parseFlags,
  type Parsed,
} from './cli/flags.js';
import { procedureHelp, usage } from './cli/help.js';
import { completion } from './cli/completion.js';
import { applyHint, planOrigin, showFile } from './cli/plan-file.js';
import { redactor, type Redactor } from './cli/redact.js';
import { askOnTerminal, confirmer } from './cli/terminal.js';
import { versionText } from './cli/version.js';
import { ConfigurationError, errorMessage } from './errors.js';
import { progressReporter } from './report/progress.js';
import { executeProcedure, readProcedureInputs, type Host } from './execute.js';
import { chains, procedures } from './procedures/registry.js';
import { cancelOnSignals } from './process/cancel.js';
import type { AnyProcedure as Procedure, Logger } from './procedure.js';

/** Exit codes: 0 ok, 1 a procedure failed, 2 bad input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGTERM/SIGINT: the running procedure cleans up and records. */
  signal?: AbortSignal;
  /** Asks on the terminal; absent when stdin or stderr is not a TTY. */
  ask?: (question: string) => Promise<string>;
  /** The entry script (for --version). */
  entry?: string;
  /** stderr is a terminal: progress is one line updated in place. */
  progressTty?: boolean;
  /** Writes to stderr as is (no newline added), for the progress line. */
  errRaw?: (s: string) => void;
}

/** The CLI: runs one procedure or a chain; returns the exit code. */
export async function cliMain(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(usage());
    return cmd ? EXIT.ok : EXIT.usage;
  }
  try {
    const own = await ownCommand(cmd, rest, io);
    if (own !== undefined) return own;
  } catch (e) {
    io.err(`pqc-ops: ${errorMessage(e)}`);
    return EXIT.usage;
  }
  return runCommand(cmd, rest, io);
}

/** version, completion and show; undefined for anything else. */
async function ownCommand(
  cmd: string,
  rest: string[],
  io: Io,
): Promise<number | undefined> {
  if (cmd === '--version' || cmd === 'version') {
    io.out(versionText(io.entry));
    return EXIT.ok;
  }
  if (cmd === 'completion') {
    io.out(
      completion(rest[0], {
        procedures: Object.values(procedures),
        chains: Object.keys(chains),
        commands: ['apply', 'show', 'completion'],
        globalFlags: [
          ...CLI_SWITCHES,
          ...Object.keys(CLI_OPTIONS),
          ...CLI_VALUES,
        ],
      }),
    );
    return EXIT.ok;
  }
  if (cmd === 'show') {
    if (!rest[0]) throw new ConfigurationError('show needs a file');
    io.out(showFile(rest[0]));
    return EXIT.ok;
  }
  if (cmd === 'apply') return applyCommand(rest, io);
  return Promise.resolve(undefined);
}

/**
 * `pqc-ops apply <plan-file>`: the procedure and the inputs the plan was made
 * with come from the plan; flags and PQC_OPS_* add to them (secrets, which a
 * plan never holds); mode apply with the plan itself.
 */
async function applyCommand(rest: string[], io: Io): Promise<number> {
  const [file, ...more] = rest;
  if (!file || file.startsWith('--'))
    throw new ConfigurationError(
      'apply needs a plan file: pqc-ops apply <plan-file>',
    );
  const origin = planOrigin(file);
  if (!procedures[origin.procedure])
    throw new ConfigurationError(
      `the plan was made by "${origin.procedure}", which this pqc-ops does not know`,
    );
  const planned = Object.entries(origin.inputs).map(([k, v]) => `--${k}=${v}`);
  return runCommand(
    origin.procedure,
    [...planned, ...more, '--mode', 'apply', '--plan', resolve(file)],
    io,
  );
}

/** A procedure or a chain with its flags. */
async function runCommand(
  cmd: string,
  rest: string[],
  io: Io,
): Promise<number> {
  const steps =
    chains[cmd] ?? (procedures[cmd] ? [{ procedure: cmd }] : undefined);
  if (!steps) {
    io.err(`pqc-ops: unknown procedure or chain "${cmd}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const list = steps
    .map((s) => procedures[s.procedure])
    .filter((p): p is Procedure => p !== undefined);
  const requires = new Map(steps.map((s) => [s.procedure, s.requires]));
  let parsed: Parsed;
  try {
    parsed = parseFlags(rest);
    assertKnownFlags(parsed.flags, list, cmd);
  } catch (e) {
    io.err(`pqc-ops: ${errorMessage(e)}`);
    return EXIT.usage;
  }
  if (parsed.help) {
    io.out(list.map(procedureHelp).join('\n\n') || usage());
    return EXIT.ok;
  }
  const red = redactor();
  const host = cliHost(io, parsed, red);
  const prepared = prepareSteps(cmd, list, requires, host, io, red);
  if (!prepared) return EXIT.usage;
  return runSteps(prepared, host, io, red, parsed.json);
}

function assertKnownFlags(
  flags: Map<string, string>,
  list: Procedure[],
  cmd: string,
): void {
  const known = new Set(
    list.flatMap((p) => Object.values(p.inputs).map((s) => s.name)),
  );
  const unknown = [...flags.keys()].filter((f) => !known.has(f));
  if (unknown.length > 0)
    throw new ConfigurationError(
      `unknown option --${unknown[0]} for ${cmd} (see pqc-ops ${cmd} --help)`,
    );
}

/** Inputs from the flags, then PQC_OPS_<INPUT>; logs to stderr, redacted. */
function cliHost(
  io: Io,
  parsed: Parsed,
  red: Redactor,
): Host & { endProgress: () => void } {
  const flags = parsed.flags;
  const rep = progressReporter({
    tty: io.progressTty ?? false,
    write: (t) =>
      io.errRaw ? io.errRaw(red.apply(t)) : io.err(red.apply(t).trimEnd()),
    intervalMs: parsed.progressMs,
  });
  // A log line first ends a progress line being updated in place.
  const err = (m: string) => {
    rep.end();
    io.err(m);
  };
  const log: Logger = {
    info: (m) => err(red.apply(m)),
    warning: (m) => err(`warning: ${red.apply(m)}`),
    error: (m) => err(`error: ${red.apply(m)}`),
    debug: (m) => {
      if (io.env['PQC_OPS_DEBUG']) err(`debug: ${red.apply(m)}`);
    },
    group: async (n, fn) => {
      err(`== ${n}`);
      return fn();
    },
  };
  return {
    getInput: (n) => flags.get(n) ?? io.env[envName(n)] ?? '',
    mask: red.add,
    log,
    env: io.env,
    signal: io.signal,
    outputDir: parsed.outDir,
    planDir: parsed.planDir,
    keepTemp: parsed.keepTemp,
    confirm: parsed.yes || !io.ask ? undefined : confirmer(io.ask, io),
    progress: rep.progress,
    endProgress: rep.end,
  };
}

/**
 * Skips chain steps whose required input is missing and reads the inputs of
 * the rest; undefined (after printing why) when an input is invalid.
 */
function prepareSteps(
  cmd: string,
  list: Procedure[],
  requires: Map<string, string | undefined>,
  host: Host,
  io: Io,
  red: Redactor,
): { p: Procedure; options: unknown }[] | undefined {
  // Every procedure of a chain validates its inputs before the first one
  // runs; a single procedure validates inside its run, which records it.
  const prepared: { p: Procedure; options: unknown }[] = [];
  for (const p of list) {
    const needed = requires.get(p.name);
    if (needed && host.getInput(needed).trim() === '') {
      io.err(
        `pqc-ops ${cmd}: skipping ${p.name}: give --${needed} (or ${envName(needed)}) to include it`,
      );
      continue;
    }
    if (list.length === 1) {
      prepared.push({ p, options: undefined });
      continue;
    }
    try {
      prepared.push({ p, options: readProcedureInputs(p, host) });
    } catch (e) {
      io.err(`pqc-ops ${p.name}: ${red.apply(errorMessage(e))}`);
      return undefined;
    }
  }
  return prepared;
}

/** Runs the prepared steps in order and prints their records. */
async function runSteps(
  prepared: { p: Procedure; options: unknown }[],
  host: Host & { endProgress: () => void },
  io: Io,
  red: Redactor,
  json: boolean,
): Promise<number> {
  let code: number = EXIT.ok;
  const results: unknown[] = [];
  for (const { p, options } of prepared) {
    if (io.signal?.aborted) break;
    const ex = await executeProcedure(p, host, options);
    host.endProgress();
    results.push(ex.result);
    if (!json) io.out(red.apply(ex.markdown) + '\n');
    applyHint(ex.outputs, io, red);
    if (ex.failure) {
      io.err(`pqc-ops ${p.name}: ${red.apply(ex.failure)}`);
      if (ex.failureKind === 'configuration') return EXIT.usage;
      code = EXIT.failed;
    }
  }
  if (json)
    io.out(
      red.apply(
        JSON.stringify(results.length === 1 ? results[0] : results, null, 2),
      ),
    );
  return code;
}

/**
 * The CLI as a process: stdout/stderr, the environment, and SIGTERM/SIGINT
 * turned into a cancel that lets the running procedure clean up and record
 * (a second signal, or 8 s, ends the process at once).
 */
export async function cliProcess(argv: string[]): Promise<number> {
  const cancel = cancelOnSignals(130, (sig) =>
    process.stderr.write(
      `pqc-ops: ${sig} received: cancelling and cleaning up\n`,
    ),
  );
  try {
    const tty = process.stdin.isTTY && process.stderr.isTTY;
    const code = await cliMain(argv, {
      out: (t) => process.stdout.write(t + '\n'),
      err: (t) => process.stderr.write(t + '\n'),
      env: process.env,
      signal: cancel.signal,
      entry: process.argv[1],
      progressTty: process.stderr.isTTY,
      errRaw: (t) => process.stderr.write(t),
      ...(tty ? { ask: askOnTerminal } : {}),
    });
    return cancel.signal.aborted ? 130 : code;
  } finally {
    cancel.dispose();
  }
}
