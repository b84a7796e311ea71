import { kubeInputs } from '../../inputs/groups.js';
import { pushgatewayInput } from '../../inputs/groups-archive.js';
import { prometheusInputs } from '../../inputs/groups-prometheus.js';
import { input, type OptionsOf } from '../../inputs/spec.js';

const DAY = 86_400_000;

/** A PromQL expression; `$namespace` stands for the namespace input. */
function query(name: string, def: string, description: string) {
  return input.requiredString(name, {
    default: def,
    description: `${description} \`$namespace\` is replaced by the namespace input.`,
  });
}

/** Inputs of capacity (names and defaults are a contract). */
export const capacityInputs = {
  ...prometheusInputs,
  window: input.duration('window', {
    default: '30d',
    min: DAY,
    max: 400 * DAY,
    description: 'How far back the trends are read and fitted.',
  }),
  warnAt: input.percent('warn-at', {
    default: '80%',
    description:
      'The utilisation level whose date is forecast (and 100%, full).',
  }),
  horizon: input.duration('horizon', {
    default: '90d',
    min: DAY,
    max: 3650 * DAY,
    description:
      'A forecast that reaches warn-at within this becomes a warning and a next item of the maintenance log.',
  }),
  memoryQuery: query(
    'memory-query',
    'pqc:memory_utilization_percentage',
    "Memory utilisation in percent (the runbook's recording rule).",
  ),
  volumeQuery: query(
    'volume-query',
    '100 * kubelet_volume_stats_used_bytes{namespace="$namespace"} / kubelet_volume_stats_capacity_bytes{namespace="$namespace"}',
    'Filesystem usage of the volumes in percent, one series per PersistentVolumeClaim (kubelet volume metrics).',
  ),
  networkQuery: query(
    'network-query',
    'sum(rate(container_network_transmit_bytes_total{namespace="$namespace"}[5m]))',
    'Network transmit rate in bytes per second (trend only: there is no full).',
  ),
  volumes: input.enumeration(
    'volumes',
    ['auto', 'prometheus', 'exec', 'none'] as const,
    {
      default: 'auto',
      description:
        'Where volume usage comes from: prometheus (volume-query), exec (df in the application and database pods: a level, no trend), auto (prometheus, else exec), none.',
    },
  ),
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description: 'Namespace of the application and its database.',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description: 'Label selector of the application pods (df through exec).',
  }),
  postgresSelector: input.selector('postgres-selector', {
    default: 'app=postgres',
    description: 'Label selector of the database pods (df through exec).',
  }),
  ...pushgatewayInput,
};

/** The capacity procedure's validated options. */
export type CapacityOptions = OptionsOf<typeof capacityInputs>;
