import { input } from './spec.js';
import { ConfigurationError } from '../errors.js';
import { validPrefix } from '../archive/naming.js';

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

/** Rule of the app data group: one way to name the pod. */
export function checkAppdataSource(o: {
  appdataPod: string | undefined;
  appdataSelector: string | undefined;
}): void {
  if (o.appdataPod && o.appdataSelector)
    throw new ConfigurationError(
      "give either input 'appdata-pod' or 'appdata-selector', not both",
    );
}

/** Rule for an archive prefix input (`prefix`, `safety-prefix`). */
export function checkPrefix(value: string, name: string): void {
  if (!validPrefix(value))
    throw new ConfigurationError(
      `input '${name}' must be letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(value.slice(0, 40))})`,
    );
}
