import {
  archiveLocationInputs,
  pushgatewayInput,
  s3Inputs,
} from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';

/** Inputs of the backup-verify procedure. */
export const verifyInputs = {
  ...archiveLocationInputs,
  archive: input.path('archive', {
    description:
      'The archive to verify (a path, or an s3:// object URL, streamed). Empty: the newest archive of prefix in destination.',
  }),
  ...s3Inputs,
  ageIdentity: input.string('age-identity', {
    secret: true,
    description:
      "age identity (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1..., an identity file's text) for encrypted archives.",
  }),
  scratchDatabaseUrl: input.string('scratch-database-url', {
    secret: true,
    description:
      'URL of a scratch database to restore the dump into (postgres://user:password@host/scratch_name). The action creates it, refusing if it exists, and drops it afterwards. Empty: no restore test (warning).',
  }),
  require: input.list('require', {
    default: 'database',
    description: 'Components the archive must hold: database, config, appdata.',
  }),
  maxAge: input.optionalDuration('max-age', {
    description:
      'Fail when the archive is older than this (e.g. 26h). Empty: age reported only.',
  }),
  ...pushgatewayInput,
};

/** The parsed inputs of backup-verify. */
export type VerifyOptions = OptionsOf<typeof verifyInputs>;
