import { resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseProgressInterval } from '../execute.js';

/** The CLI's own options (not procedure inputs), with their defaults. */
export const CLI_OPTIONS = {
  'plan-dir': './pqc-ops-plans',
  'out-dir': './pqc-ops-results',
} as const;
/** The CLI's own switches. */
export const CLI_SWITCHES = ['json', 'yes', 'keep-temp', 'help'] as const;
/** CLI options that take a value but are not paths. */
export const CLI_VALUES = ['progress-interval'] as const;

export interface Parsed {
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
      progressMs = parseProgressInterval(interval);
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
