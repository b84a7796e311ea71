import { ConfigurationError, errorMessage } from './errors.js';
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
}

/** `--name value`, `--name=value` and bare `--flag` (= true) into a map. */
export function parseFlags(args: string[]): {
  flags: Map<string, string>;
  json: boolean;
  help: boolean;
} {
  const flags = new Map<string, string>();
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--help' || a === '-h') help = true;
    else if (a === '--json') json = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('--'))
        flags.set(a.slice(2), args[++i] ?? '');
      else flags.set(a.slice(2), 'true');
    } else {
      throw new ConfigurationError(
        `unexpected argument "${a}": options are --name value`,
      );
    }
  }
  return { flags, json, help };
}

/** The environment variable that can carry an input: PQC_OPS_ALERT_WEBHOOK. */
export function envName(input: string): string {
  return `PQC_OPS_${input.toUpperCase().replace(/-/g, '_')}`;
}

function usage(): string {
  const lines = [
    'Usage: pqc-ops <procedure|chain> [--input value ...] [--json]',
    '',
    'Procedures:',
  ];
  for (const p of Object.values(procedures))
    lines.push(`  ${p.name.padEnd(16)}${p.title}`);
  lines.push('', 'Chains:');
  for (const [c, steps] of Object.entries(chains)) {
    const list = steps.map((s) =>
      s.requires ? `${s.procedure} (with --${s.requires})` : s.procedure,
    );
    lines.push(`  ${c.padEnd(16)}${list.join(', ')}`);
  }
  lines.push(
    '',
    'Every input can also come from the environment as PQC_OPS_<INPUT> (secrets should).',
  );
  lines.push("'pqc-ops <procedure> --help' lists its inputs.");
  return lines.join('\n');
}

function procedureHelp(p: Procedure): string {
  const lines = [`pqc-ops ${p.name}: ${p.description}`, '', 'Options:'];
  for (const s of Object.values(p.inputs)) {
    const def =
      s.default === undefined
        ? ' (required)'
        : s.default === ''
          ? ''
          : ` (default: ${s.default})`;
    lines.push(
      `  --${s.name}${def}${s.secret === true ? ' [secret: prefer ' + envName(s.name) + ']' : ''}`,
    );
    lines.push(`      ${s.description} Accepts ${s.form}.`);
  }
  return lines.join('\n');
}

function redactor(): {
  add: (s: string) => void;
  apply: (s: string) => string;
} {
  const secrets = new Set<string>();
  return {
    add: (s) => {
      if (s.length >= 4) secrets.add(s);
    },
    apply: (text) => {
      let t = text;
      for (const s of [...secrets].sort((a, b) => b.length - a.length))
        t = t.split(s).join('***');
      return t;
    },
  };
}

type Redactor = ReturnType<typeof redactor>;

/** The CLI: runs one procedure or a chain; returns the exit code. */
export async function cliMain(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(usage());
    return cmd ? EXIT.ok : EXIT.usage;
  }
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
  let parsed: ReturnType<typeof parseFlags>;
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
  const host = cliHost(io, parsed.flags, red);
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
function cliHost(io: Io, flags: Map<string, string>, red: Redactor): Host {
  const log: Logger = {
    info: (m) => io.err(red.apply(m)),
    warning: (m) => io.err(`warning: ${red.apply(m)}`),
    error: (m) => io.err(`error: ${red.apply(m)}`),
    debug: (m) => {
      if (io.env['PQC_OPS_DEBUG']) io.err(`debug: ${red.apply(m)}`);
    },
    group: async (n, fn) => {
      io.err(`== ${n}`);
      return fn();
    },
  };
  return {
    getInput: (n) => flags.get(n) ?? io.env[envName(n)] ?? '',
    mask: red.add,
    log,
    env: io.env,
    signal: io.signal,
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
  host: Host,
  io: Io,
  red: Redactor,
  json: boolean,
): Promise<number> {
  let code: number = EXIT.ok;
  const results: unknown[] = [];
  for (const { p, options } of prepared) {
    if (io.signal?.aborted) break;
    const ex = await executeProcedure(p, host, options);
    results.push(ex.result);
    if (!json) io.out(red.apply(ex.markdown) + '\n');
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
    const code = await cliMain(argv, {
      out: (t) => process.stdout.write(t + '\n'),
      err: (t) => process.stderr.write(t + '\n'),
      env: process.env,
      signal: cancel.signal,
    });
    return cancel.signal.aborted ? 130 : code;
  } finally {
    cancel.dispose();
  }
}
