import { ConfigurationError } from '../../errors.js';
import type { IncidentOptions } from './inputs.js';

/** Rules of security-incident's inputs, before anything is touched. */
export function validateSecurity(o: IncidentOptions): void {
  if (o.mode === 'apply') return; // the approved plan says what is done
  const given = Object.keys(o.secretValues ?? {});
  if (o.keys.length === 0 && given.length === 0)
    throw new ConfigurationError(
      `input 'keys' is required for security-incident: name the keys of '${o.secretName}' to rotate (comma-separated), or give their new values in 'secret-values'`,
    );
  if (o.keepPreviousValues && o.ageRecipients.length === 0)
    throw new ConfigurationError(
      "input 'keep-previous-values' needs 'age-recipients': the previous credentials are kept only inside the encrypted evidence archive",
    );
}
