import { pushgatewayInput, s3Inputs } from '../../inputs/groups-archive.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { kubeInputs } from '../../inputs/groups.js';
import {
  healthCheckInputs,
  httpTimeoutInput,
} from '../../inputs/groups-health.js';

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
  healthUrl: healthCheckInputs.healthUrl,
  expectedStatus: healthCheckInputs.expectedStatus,
  timeout: httpTimeoutInput('timeout'),
  retries: healthCheckInputs.retries,
  cryptoCheck: healthCheckInputs.cryptoCheck,
  cryptoCommand: healthCheckInputs.cryptoCommand,
  cryptoAlgorithms: healthCheckInputs.cryptoAlgorithms,
  cryptoContainer: healthCheckInputs.cryptoContainer,
  cryptoTimeout: healthCheckInputs.cryptoTimeout,
  cpuThreshold: healthCheckInputs.cpuThreshold,
  memoryThreshold: healthCheckInputs.memoryThreshold,
  restartThreshold: healthCheckInputs.restartThreshold,
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
  ...pushgatewayInput,
};

/** The health procedure's validated options. */
export type HealthOptions = OptionsOf<typeof healthInputs>;
