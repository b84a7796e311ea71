import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { completion } from './cli/completion.js';
import { planOrigin, showFile } from './cli/plan-file.js';
import { versionText } from './cli/version.js';
import { ConfigurationError, errorMessage } from './errors.js';
import { parseDurationWithin } from './inputs/parsers.js';
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

/** The CLI's own options (not procedure inputs), with their defaults. */
export const CLI_OPTIONS = {
  'plan-dir': './pqc-ops-plans',
  'out-dir': './pqc-ops-results',
} as const;
/** The CLI's own switches. */
export const CLI_SWITCHES = ['json', 'yes', 'keep-temp', 'help'] as const;
/** CLI options that take a value but are not paths. */
export const CLI_VALUES = ['progress-interval'] as const;

interface Parsed {
  /** Interval of progress lines outside a terminal, ms. */
  progressMs: number;
  flags: Map<string, string>;
  json: boolean;
  help: boolean;
  yes: boolean;
  keepTemp: boolean;
  planDir: string;
  outDir: string;
}

/** `--name value`, `--name=value` and bare `--flag` (= true) into a map. */
export function parseFlags(args: string[]): Parsed {
  const flags = new Map<string, string>();
  const on = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-h') on.add('help');
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if ((CLI_SWITCHES as readonly string[]).includes(name) && eq < 0) {
        on.add(name);
        continue;
      }
      if (eq > 0) flags.set(name, a.slice(eq + 1));
      else if (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('--'))
        flags.set(name, args[++i] ?? '');
      else flags.set(name, 'true');
    } else {
      throw new ConfigurationError(
        `unexpected argument "${a}": options are --name value`,
      );
    }
  }
  const take = (k: keyof typeof CLI_OPTIONS): string => {
    const v = flags.get(k) ?? CLI_OPTIONS[k];
    flags.delete(k);
    if (v.trim() === '' || v === 'true')
      throw new ConfigurationError(`--${k} needs a directory`);
    return resolve(v);
  };
  const interval = flags.get('progress-interval');
  flags.delete('progress-interval');
  let progressMs = 10_000;
  if (interval !== undefined) {
    try {
      progressMs = parseDurationWithin(interval, 1000, 3_600_000);
    } catch {
      throw new ConfigurationError(
        `--progress-interval needs a duration from 1s to 1h, such as 10s (got "${interval}")`,
      );
    }
  }
  return {
    progressMs,
    flags,
    json: on.has('json'),
    help: on.has('help'),
    yes: on.has('yes'),
    keepTemp: on.has('keep-temp'),
    planDir: take('plan-dir'),
    outDir: take('out-dir'),
  };
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
    'Commands:',
    '  apply <plan-file>  apply a plan: procedure, target and inputs come from the plan',
    '  show <file>        a plan or a result file as the Markdown the action writes',
    '  completion <bash|zsh|fish>',
    '  --version',
    '',
    'Options of every command: --json (the StepResult on stdout), --yes (no prompt),',
    `  --plan-dir [${CLI_OPTIONS['plan-dir']}], --out-dir [${CLI_OPTIONS['out-dir']}], --keep-temp,`,
    '  --progress-interval [10s] (progress lines outside a terminal; on one, a line updated in place)',
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

/** A typed confirmation on the terminal: only "yes" applies. */
function confirmer(
  ask: (q: string) => Promise<string>,
  io: Io,
): (question: string) => Promise<boolean> {
  return async (question) => {
    io.err(question);
    const answer = await ask("Type 'yes' to apply (anything else cancels): ");
    return answer.trim() === 'yes';
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
function applyHint(
  outputs: Record<string, string>,
  io: Io,
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

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
