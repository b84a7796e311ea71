import { kubeInputs } from '../../inputs/groups.js';
import { databaseInputs } from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { changeControlInputs } from '../../plan/change-control.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Inputs of the housekeeping procedure (names and defaults are a contract). */
export const housekeepingInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace of the application pods (and of the database pod and the Lease).',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods: every Running and Ready one is cleaned.',
  }),
  pod: input.optionalKubeName('pod', {
    description: 'One application pod by name, instead of selector.',
  }),
  container: input.optionalKubeName('container', {
    description:
      'Container of the application pods whose files are cleaned. Empty: the first one.',
  }),
  logPath: input.containerDir('log-path', {
    default: '/var/log/pqc-audit',
    description:
      'Log directory in the pods (searched recursively, symlinks not followed): *.log files are compressed, *.log.gz files deleted.',
  }),
  compressAfter: input.duration('compress-after', {
    default: '7d',
    min: HOUR,
    max: 3650 * DAY,
    description:
      'gzip *.log files whose last modification is older than this (gzip keeps the modification time on the .gz).',
  }),
  deleteAfter: input.duration('delete-after', {
    default: '30d',
    min: HOUR,
    max: 3650 * DAY,
    description:
      'Delete *.log.gz files whose last modification is older than this; must be longer than compress-after.',
  }),
  tempPath: input.containerDir('temp-path', {
    default: '/tmp/pqc-cache',
    description:
      'Temporary scan cache in the pods: files under it (symlinks not followed, directories kept) are deleted when old.',
  }),
  tempMaxAge: input.duration('temp-max-age', {
    default: '1d',
    min: 60_000,
    max: 3650 * DAY,
    description: 'Delete files under temp-path older than this.',
  }),
  vacuum: input.boolean('vacuum', {
    default: 'true',
    description:
      'Run VACUUM (ANALYZE) on the database (never VACUUM FULL), by database-url or in the database pod (postgres-pod/postgres-selector); skipped when neither is given.',
  }),
  ...databaseInputs,
  execTimeout: input.duration('exec-timeout', {
    default: '10m',
    timer: true,
    description:
      'Time limit of one command in a pod (a find, a gzip batch) and of the VACUUM.',
  }),
  lockName: input.kubeName('lock-name', {
    default: 'pqc-ops-housekeeping',
    description:
      'Lease (in the namespace) held while applying, so two runs never clean the same pods at once.',
  }),
  ...changeControlInputs,
};

/** The housekeeping procedure's validated options. */
export type HousekeepingOptions = OptionsOf<typeof housekeepingInputs>;
