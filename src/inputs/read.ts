import { ConfigurationError } from '../errors.js';
import { oneLine } from '../report/escape.js';
import type { InputSpecs, OptionsOf } from './spec.js';

/**
 * Reads every input once, validates them all and returns the typed options.
 * Secrets are handed to `mask` before anything else happens with them. All
 * problems are reported together, each naming its input and accepted form.
 */
export function readInputs<S extends InputSpecs>(
  specs: S,
  get: (name: string) => string,
  mask: (secret: string) => void,
): OptionsOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    let raw = get(spec.name);
    const secret =
      typeof spec.secret === 'function' ? spec.secret(raw) : spec.secret;
    if (secret && raw !== '') mask(raw);
    raw = raw.trim();
    if (raw === '' && spec.default === undefined) {
      problems.push(`input '${spec.name}' is required: give ${spec.form}`);
      continue;
    }
    if (raw === '') raw = spec.default ?? '';
    if (raw === '') {
      out[key] = spec.empty;
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const shown = secret
        ? '(value hidden)'
        : oneLine(JSON.stringify(truncate(raw)));
      problems.push(
        `input '${spec.name}' has an invalid value ${shown} (${why}): expected ${spec.form}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ConfigurationError(problems.join('; '));
  }
  return out as OptionsOf<S>;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
