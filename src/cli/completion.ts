import { ConfigurationError } from '../errors.js';
import type { AnyProcedure } from '../procedure.js';

/** Words that are not procedures: chains and the CLI's own commands. */
export interface CompletionModel {
  procedures: AnyProcedure[];
  chains: string[];
  commands: string[];
  /** Flags every command takes (`--json`, `--plan-dir`...). */
  globalFlags: string[];
}

function optionsOf(m: CompletionModel, cmd: string): string[] {
  const p = m.procedures.find((x) => x.name === cmd);
  const own = p ? Object.values(p.inputs).map((s) => s.name) : [];
  return [...own, ...m.globalFlags].map((f) => `--${f}`);
}

function words(m: CompletionModel): string[] {
  return [...m.procedures.map((p) => p.name), ...m.chains, ...m.commands];
}

function bash(m: CompletionModel): string {
  const cases = m.procedures
    .map((p) => `    ${p.name}) opts="${optionsOf(m, p.name).join(' ')}" ;;`)
    .join('\n');
  return `# pqc-ops completion for bash: source <(pqc-ops completion bash)
_pqc_ops() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${words(m).join(' ')}" -- "$cur"))
    return
  fi
  local opts="${m.globalFlags.map((f) => `--${f}`).join(' ')}"
  case "\${COMP_WORDS[1]}" in
${cases}
    apply|show) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _pqc_ops pqc-ops
`;
}

function zsh(m: CompletionModel): string {
  const cases = m.procedures
    .map((p) => `    ${p.name}) opts=(${optionsOf(m, p.name).join(' ')}) ;;`)
    .join('\n');
  return `#compdef pqc-ops
# pqc-ops completion for zsh: pqc-ops completion zsh > "\${fpath[1]}/_pqc-ops"
_pqc-ops() {
  if (( CURRENT == 2 )); then
    compadd -- ${words(m).join(' ')}
    return
  fi
  local -a opts
  opts=(${m.globalFlags.map((f) => `--${f}`).join(' ')})
  case "$words[2]" in
${cases}
    apply|show) _files; return ;;
  esac
  compadd -- $opts
}
compdef _pqc-ops pqc-ops
`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fish(m: CompletionModel): string {
  const lines = [
    '# pqc-ops completion for fish: pqc-ops completion fish > ~/.config/fish/completions/pqc-ops.fish',
    'complete -c pqc-ops -f',
  ];
  for (const p of m.procedures)
    lines.push(
      `complete -c pqc-ops -n __fish_use_subcommand -a ${p.name} -d ${fishQuote(p.title)}`,
    );
  for (const w of [...m.chains, ...m.commands])
    lines.push(`complete -c pqc-ops -n __fish_use_subcommand -a ${w}`);
  for (const p of m.procedures)
    for (const s of Object.values(p.inputs))
      lines.push(
        `complete -c pqc-ops -n '__fish_seen_subcommand_from ${p.name}' -l ${s.name} -r -d ${fishQuote(s.description.slice(0, 80))}`,
      );
  for (const f of m.globalFlags)
    lines.push(`complete -c pqc-ops -n 'not __fish_use_subcommand' -l ${f}`);
  lines.push(
    "complete -c pqc-ops -n '__fish_seen_subcommand_from apply show' -F",
  );
  return lines.join('\n') + '\n';
}

/** A completion script for `shell`, generated from the input declarations. */
export function completion(
  shell: string | undefined,
  m: CompletionModel,
): string {
  switch (shell) {
    case 'bash':
      return bash(m);
    case 'zsh':
      return zsh(m);
    case 'fish':
      return fish(m);
    default:
      throw new ConfigurationError(
        `completion needs a shell: bash, zsh or fish (got ${shell ?? 'nothing'})`,
      );
  }
}
