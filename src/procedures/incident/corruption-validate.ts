import type { IncidentOptions } from './inputs.js';

/** Rules of data-corruption's inputs, before anything is touched. */
export function validateCorruption(
  o: IncidentOptions,
  env: NodeJS.ProcessEnv,
): void {
  void o;
  void env;
}
