import type { AnyProcedure as Procedure } from '../procedure.js';
import { chains, procedures } from '../procedures/registry.js';
import { CLI_OPTIONS, envName } from './flags.js';

/** The CLI's usage: procedures, chains, commands and common options. */
export function usage(): string {
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

/** Every input of a procedure, with its default and accepted form. */
export function procedureHelp(p: Procedure): string {
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
