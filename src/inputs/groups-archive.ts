import { input } from './spec.js';
import { kubeInputs } from './groups.js';

/** Where the database is: a URL for the runner, or a pod to exec into. */
export const databaseInputs = {
  databaseUrl: input.string('database-url', {
    secret: true,
    description:
      'PostgreSQL URL (postgres://user:password@host:5432/db): the client tools run on the runner. The password goes to them as PGPASSWORD, never on a command line. Alternative to postgres-pod/postgres-selector.',
  }),
  postgresPod: input.optionalKubeName('postgres-pod', {
    description:
      "The database pod: the client tools run inside it through exec, with the pod's own environment.",
  }),
  postgresSelector: input.optionalSelector('postgres-selector', {
    description:
      'Label selector of the database pod (the first running one), instead of postgres-pod.',
  }),
  postgresContainer: input.string('postgres-container', {
    description: 'Container of the database pod. Empty: its first container.',
  }),
  database: input.requiredString('database', {
    default: 'pqc_audit',
    description: 'Database name, for the exec path.',
  }),
  databaseUser: input.requiredString('database-user', {
    default: 'postgres',
    description: 'Database user, for the exec path.',
  }),
};

/** The application pod and path whose data is archived or restored. */
export const appdataInputs = {
  appdataPod: input.optionalKubeName('appdata-pod', {
    description:
      'The application pod whose app data path is archived (read with tar through exec).',
  }),
  appdataSelector: input.optionalSelector('appdata-selector', {
    description:
      'Label selector of the application pod (the first running one), instead of appdata-pod.',
  }),
  appdataContainer: input.string('appdata-container', {
    description:
      'Container of the application pod. Empty: its first container.',
  }),
  appdataPath: input.requiredString('appdata-path', {
    default: '/data',
    description: 'The app data directory inside the application pod.',
  }),
};

/** The archive's location. */
export const archiveLocationInputs = {
  destination: input.string('destination', {
    description: 'Directory on the runner that holds the archives.',
  }),
  prefix: input.requiredString('prefix', {
    default: 'pqc-audit-backup',
    description:
      'Archive name prefix: archives are <prefix>_<YYYYmmdd_HHMMSS>.tar, with .age appended when encrypted.',
  }),
};

/** Pushgateway for the run's metrics. */
export const pushgatewayInput = {
  pushgatewayUrl: input.url('pushgateway-url', {
    description: "Pushgateway base URL for the run's metrics. Empty: no push.",
  }),
};

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
    description:
      'Lease duration: after it a lease left by a dead run is taken over, and its temporary files are removed.',
  }),
  ...pushgatewayInput,
};
