import { ConfigurationError } from '../errors.js';
import type { HealthCheckOptions } from '../health/round.js';
import { input } from './spec.js';

/**
 * The inputs of one round of health checks (src/health), shared by the
 * health procedure and every procedure that checks health afterwards
 * (rollout): same names, defaults and forms.
 */
export const healthCheckInputs = {
  healthUrl: input.url('health-url', {
    description: 'URL of the health endpoint. Empty: skip the HTTP check.',
  }),
  expectedStatus: input.integer('expected-status', {
    default: '200',
    min: 100,
    max: 599,
    description: 'HTTP status the health endpoint must answer.',
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
};

/** Timeout of one attempt at the health endpoint, under the given input name. */
export function httpTimeoutInput(name: string) {
  return input.duration(name, {
    default: '10s',
    timer: true,
    description: 'Timeout of one HTTP attempt.',
  });
}

/** Rule of the group: crypto-check command needs crypto-command. */
export function checkCryptoCommand(o: {
  cryptoCheck: string;
  cryptoCommand: string[] | undefined;
}): void {
  if (o.cryptoCheck === 'command' && !o.cryptoCommand)
    throw new ConfigurationError(
      "input 'crypto-command' is required when crypto-check is command: give the argv as a JSON list",
    );
}

/**
 * The options of one health round after a change (rollout, incident): the
 * group's inputs with the HTTP timeout under `health-timeout`; no backup
 * freshness check.
 */
export function healthRoundOptions(
  o: Omit<
    HealthCheckOptions,
    'timeout' | 'backupDir' | 'backupPrefix' | 'backupMaxAge' | 'backupS3'
  > & { healthTimeout: number },
): HealthCheckOptions {
  return {
    namespace: o.namespace,
    selector: o.selector,
    deployment: o.deployment,
    healthUrl: o.healthUrl,
    expectedStatus: o.expectedStatus,
    timeout: o.healthTimeout,
    retries: o.retries,
    cryptoCheck: o.cryptoCheck,
    cryptoCommand: o.cryptoCommand,
    cryptoAlgorithms: o.cryptoAlgorithms,
    cryptoContainer: o.cryptoContainer,
    cryptoTimeout: o.cryptoTimeout,
    cpuThreshold: o.cpuThreshold,
    memoryThreshold: o.memoryThreshold,
    restartThreshold: o.restartThreshold,
    backupDir: undefined,
    backupPrefix: '',
    backupMaxAge: 0,
  };
}

/**
 * The inputs of a health round after a change (rollout, incident), the HTTP
 * timeout under `health-timeout` (their own `timeout` is the rollout's).
 */
export const healthRoundInputs = {
  healthUrl: healthCheckInputs.healthUrl,
  expectedStatus: healthCheckInputs.expectedStatus,
  healthTimeout: httpTimeoutInput('health-timeout'),
  retries: healthCheckInputs.retries,
  cryptoCheck: healthCheckInputs.cryptoCheck,
  cryptoCommand: healthCheckInputs.cryptoCommand,
  cryptoAlgorithms: healthCheckInputs.cryptoAlgorithms,
  cryptoContainer: healthCheckInputs.cryptoContainer,
  cryptoTimeout: healthCheckInputs.cryptoTimeout,
  cpuThreshold: healthCheckInputs.cpuThreshold,
  memoryThreshold: healthCheckInputs.memoryThreshold,
  restartThreshold: healthCheckInputs.restartThreshold,
};
