import { kubeInputs } from '../../inputs/groups.js';
import {
  appdataInputs,
  archiveLocationInputs,
  databaseInputs,
  pushgatewayInput,
} from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';

/** Inputs of the backup procedure. */
export const backupInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace of the database and application pods, the ConfigMaps and Secrets, and the Lease.',
  }),
  ...databaseInputs,
  include: input.list('include', {
    default: 'database,config,appdata',
    description:
      'Components to back up: database, config, appdata. config needs cluster credentials; appdata needs appdata-pod or appdata-selector; without them they are skipped.',
  }),
  configSelector: input.optionalSelector('config-selector', {
    description:
      'Label selector of the ConfigMaps and Secrets to archive. Empty: all of the namespace (except kube-root-ca.crt and service-account tokens).',
  }),
  ...appdataInputs,
  destination: input.requiredString('destination', {
    default: undefined,
    description:
      'Directory on the runner the archive is written to (created if missing).',
  }),
  prefix: archiveLocationInputs.prefix,
  ageRecipients: input.list('age-recipients', {
    description:
      'age recipients, one per line: classic age1... or post-quantum hybrid age1pq1..., never both kinds. Empty: the archive is not encrypted.',
  }),
  allowPlaintextSecrets: input.boolean('allow-plaintext-secrets', {
    default: 'false',
    description:
      'Allow an unencrypted archive that holds Secrets (refused otherwise).',
  }),
  retentionDays: input.integer('retention-days', {
    default: '30',
    min: 0,
    max: 36500,
    description:
      'Delete archives of this prefix older than this many days (0: never). Only after a successful run.',
  }),
  keepLast: input.integer('keep-last', {
    default: '3',
    min: 0,
    max: 10000,
    description:
      'Never delete the newest this many archives of this prefix, whatever their age.',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-backup',
    description:
      'Name of the Lease that keeps two backups of one target from overlapping.',
  }),
  lockDuration: input.duration('lock-duration', {
    default: '2h',
    min: 60_000,
    max: 7 * 86_400_000,
    description:
      'Temporary files of this prefix older than this are from a dead run and are removed by the next run. The Lease itself is short and renewed while the run lives.',
  }),
  ...pushgatewayInput,
};

/** The backup procedure's validated options. */
export type BackupOptions = OptionsOf<typeof backupInputs>;
