import type { IncidentOptions } from './inputs.js';

/** Rules of security-incident's inputs, before anything is touched. */
export function validateSecurity(o: IncidentOptions): void {
  void o;
}
