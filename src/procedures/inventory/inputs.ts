import { kubeInputs, namespacesInput } from '../../inputs/groups.js';
import {
  databaseInputs,
  pushgatewayInput,
} from '../../inputs/groups-archive.js';
import { prometheusInputs } from '../../inputs/groups-prometheus.js';
import { parseKubeName } from '../../inputs/parsers.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { loadPolicy, POLICY_FORM, type Policy } from './policy.js';

const DAY = 86_400_000;

/** Where cert-manager's controller Deployment is. */
export interface DeploymentRef {
  namespace: string;
  name: string;
}

function parseDeploymentRef(s: string): DeploymentRef | undefined {
  if (s.trim() === 'none') return undefined;
  const [namespace = '', name = '', ...rest] = s.trim().split('/');
  if (rest.length) throw new Error('more than one /');
  return { namespace: parseKubeName(namespace), name: parseKubeName(name) };
}

/** Inputs of inventory (names and defaults are a contract). */
export const inventoryInputs = {
  ...kubeInputs,
  namespaces: namespacesInput(
    'pqc-audit',
    'Namespaces whose pods are inventoried: every container image with its digest (comma-separated, or * for all).',
  ),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description:
      'Label selector of the application pods (in the first namespace): pip runs in one ready pod.',
  }),
  pipCommand: input.commandLine('pip-command', {
    default: 'pip list --outdated --format=json',
    none: true,
    description:
      "Lists the application's outdated Python packages as JSON, run through exec (no shell) in one ready application pod. A pod without pip is noted and skipped. none: not asked.",
  }),
  pipContainer: input.optionalKubeName('pip-container', {
    description: 'Container to run pip-command in. Empty: the first one.',
  }),
  pipTimeout: input.duration('pip-timeout', {
    default: '5m',
    timer: true,
    description:
      'Time limit of pip-command (it asks the package index for the latest versions).',
  }),
  certManager: input.parsed<DeploymentRef | undefined>(
    'cert-manager',
    'namespace/deployment, or none',
    parseDeploymentRef,
    undefined,
    {
      default: 'cert-manager/cert-manager',
      description:
        "cert-manager's controller Deployment: its version from the label app.kubernetes.io/version, else its image tag. none: not inventoried.",
    },
  ),
  ...databaseInputs,
  databaseTimeout: input.duration('database-timeout', {
    default: '1m',
    timer: true,
    description: 'Time limit of the version query to PostgreSQL.',
  }),
  ...prometheusInputs,
  prometheusUrl: input.url('prometheus-url', {
    description:
      "Base URL of Prometheus's HTTP API (the part before /api/v1): its /api/v1/status/buildinfo is read. Empty: Prometheus is not inventoried.",
  }),
  policy: input.parsed<Policy>(
    'policy',
    POLICY_FORM,
    loadPolicy,
    loadPolicy(undefined),
    {
      description:
        'Version policy: minimum versions and end-of-life dates, as YAML (several lines) or the path of a YAML file; see the README for its form. Empty: the maintained default (src/procedures/inventory/default-policy.ts: Kubernetes minors and PostgreSQL majors).',
    },
  ),
  horizon: input.duration('horizon', {
    default: '90d',
    min: DAY,
    max: 3650 * DAY,
    description:
      'A component whose support ends within this is flagged (a warning and a next item of the maintenance log).',
  }),
  failOn: input.enumeration(
    'fail-on',
    ['out-of-support', 'horizon', 'never'] as const,
    {
      default: 'out-of-support',
      description:
        'Fail the step when a component is out of support (past its end of life or below the minimum), also when within horizon of it (horizon), or never.',
    },
  ),
  ...pushgatewayInput,
};

/** The inventory procedure's validated options. */
export type InventoryOptions = OptionsOf<typeof inventoryInputs>;
