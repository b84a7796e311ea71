import { s3Inputs } from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { kubeInputs } from '../../inputs/groups.js';

/** The health procedure's inputs (names and defaults are a contract). */
export const healthInputs = {
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the application.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description: 'Label selector of the application pods.',
  }),
  deployment: input.kubeName('deployment', {
    default: 'pqc-audit',
    description:
      'The application Deployment (checked, and restarted by self-heal).',
  }),
  healthUrl: input.url('health-url', {
    description: 'URL of the health endpoint. Empty: skip the HTTP check.',
  }),
  expectedStatus: input.integer('expected-status', {
    default: '200',
    min: 100,
    max: 599,
    description: 'HTTP status the health endpoint must answer.',
  }),
  timeout: input.duration('timeout', {
    default: '10s',
    timer: true,
    description: 'Timeout of one HTTP attempt.',
  }),
  retries: input.integer('retries', {
    default: '3',
    min: 0,
    max: 20,
    description:
      'HTTP retries after the first attempt, with exponential backoff.',
  }),
  cryptoCheck: input.enumeration(
    'crypto-check',
    ['liboqs-python', 'none', 'command'] as const,
    {
      default: 'liboqs-python',
      description:
        'Post-quantum crypto self-test in one ready pod: liboqs-python (the built-in script), command (crypto-command), or none.',
    },
  ),
  cryptoCommand: input.argv('crypto-command', {
    description:
      'For crypto-check command: the argv to exec, as a JSON or YAML list. Exit 0 passes.',
  }),
  cryptoAlgorithms: input.listOf(
    'crypto-algorithms',
    /^[A-Za-z0-9][A-Za-z0-9_+.-]*$/,
    'algorithm names such as ML-KEM-768',
    {
      default: 'ML-KEM-768,ML-DSA-65',
      description:
        'Algorithms that must be enabled; the first KEM and the first signature are exercised.',
    },
  ),
  cryptoContainer: input.optionalKubeName('crypto-container', {
    description:
      'Container to run the self-test in. Empty: the first container of the pod.',
  }),
  cryptoTimeout: input.duration('crypto-timeout', {
    default: '60s',
    timer: true,
    description: 'Time limit of the crypto self-test.',
  }),
  cpuThreshold: input.percent('cpu-threshold', {
    default: '80%',
    description:
      'CPU use above this share of the container limit (else request) makes the service degraded.',
  }),
  memoryThreshold: input.percent('memory-threshold', {
    default: '80%',
    description:
      'Memory use above this share of the container limit (else request) makes the service degraded.',
  }),
  restartThreshold: input.integer('restart-threshold', {
    default: '5',
    min: 1,
    max: 1_000_000,
    description:
      'Container restart count from which a pod is reported degraded.',
  }),
  backupDir: input.directoryOrBucket('backup-dir', {
    description:
      'Where the backup archives are: a directory on the runner, or s3://bucket/optional/prefix/ (then the newest archive is judged from a listing; see the s3-* inputs). Empty: skip the backup check.',
  }),
  ...s3Inputs,
  backupPrefix: input.requiredString('backup-prefix', {
    default: 'pqc-audit-backup',
    description:
      "Prefix of the archives in backup-dir (<prefix>_YYYYmmdd_HHMMSS.tar[.zst][.age]): other files, and other prefixes such as restore's safety backups, do not count.",
  }),
  backupMaxAge: input.duration('backup-max-age', {
    default: '24h',
    description: 'The newest archive must be younger than this.',
  }),
  selfHeal: input.boolean('self-heal', {
    default: 'false',
    description:
      'When unhealthy: restart the Deployment as kubectl rollout restart does, wait for the rollout, and check again.',
  }),
  healTimeout: input.duration('heal-timeout', {
    default: '5m',
    timer: true,
    description: 'How long self-heal waits for the restarted rollout.',
  }),
  alertWebhook: input.url('alert-webhook', {
    secret: true,
    description:
      'Webhook (Slack-compatible JSON POST) that receives one escalation when the service is still unhealthy after self-heal, or unhealthy without it, or cannot be checked at all (API unreachable, forbidden). Secret.',
  }),
  failOn: input.enumeration(
    'fail-on',
    ['unhealthy', 'degraded', 'never'] as const,
    {
      default: 'unhealthy',
      description:
        'Fail the step when the status is unhealthy, degraded (or worse), or never.',
    },
  ),
};

/** The health procedure's validated options. */
export type HealthOptions = OptionsOf<typeof healthInputs>;
