import { kubeInputs } from '../../inputs/groups.js';
import {
  appdataInputs,
  archiveLocationInputs,
  databaseInputs,
  pushgatewayInput,
  s3Inputs,
} from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { COMPRESSIONS } from '../../archive/naming.js';

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
      'Where the archive is written: a directory on the runner (created if missing), or s3://bucket/optional/prefix/, streamed as a multipart upload (see the s3-* inputs).',
  }),
  ...s3Inputs,
  prefix: archiveLocationInputs.prefix,
  compression: input.enumeration('compression', COMPRESSIONS, {
    default: 'pg',
    description:
      'pg: pg_dump compresses the dump (custom format), the archive is a plain .tar. zstd: pg_dump writes its custom format uncompressed and the whole archive is compressed with zstd on other cores while it dumps (<prefix>_<ts>.tar.zst: zstd -d, then tar -x, then pg_restore); several times faster, and smaller.',
  }),
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
