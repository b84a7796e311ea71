import {
  archiveLocationInputs,
  databaseInputs,
  s3Inputs,
} from '../../inputs/groups-archive.js';
import { input } from '../../inputs/spec.js';

function parseTime(raw: string): Date {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d\d-\d\d/.test(raw) || !Number.isFinite(ms))
    throw new Error('not a time');
  return new Date(ms);
}

/** data-corruption's own inputs (the database, the archives, the last good time). */
export const corruptionInputs = {
  ...databaseInputs,
  destination: input.string('destination', {
    description:
      'data-corruption: where the archives are and the emergency backup goes: a directory on the runner, or s3://bucket/optional/prefix/ (see the s3-* inputs).',
  }),
  ...s3Inputs,
  prefix: archiveLocationInputs.prefix,
  emergencyPrefix: input.requiredString('emergency-prefix', {
    default: 'pqc-audit-emergency',
    description:
      'data-corruption: name prefix of the emergency backup of the corrupted state, kept apart from the archives restored from.',
  }),
  notAfter: input.parsed(
    'not-after',
    'an ISO 8601 time such as 2026-11-27T08:00:00Z',
    parseTime,
    undefined as Date | undefined,
    {
      description:
        'data-corruption: restore the newest verified archive taken at or before this time (the last known good one). Empty: the newest verified archive.',
    },
  ),
  ageIdentity: input.string('age-identity', {
    secret: true,
    description:
      'data-corruption: age identity that decrypts the archives (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...).',
  }),
};
