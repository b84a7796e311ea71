import { ConfigurationError } from '../errors.js';
import { COMPONENTS, type Component } from './manifest.js';

/** Parses a components list input (`include`, `components`, `require`). */
export function parseComponents(list: string[], input: string): Set<Component> {
  const out = new Set<Component>();
  for (const c of list) {
    if (!(COMPONENTS as readonly string[]).includes(c)) {
      throw new ConfigurationError(
        `input '${input}': unknown component "${c}": give a list of ${COMPONENTS.join(', ')}`,
      );
    }
    out.add(c as Component);
  }
  if (out.size === 0)
    throw new ConfigurationError(
      `input '${input}' is empty: give a list of ${COMPONENTS.join(', ')}`,
    );
  return out;
}
