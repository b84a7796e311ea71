import { kubeInputs } from '../../inputs/groups.js';
import { pushgatewayInput } from '../../inputs/groups-archive.js';
import { prometheusInputs } from '../../inputs/groups-prometheus.js';
import { input, type OptionsOf } from '../../inputs/spec.js';
import { parseQueries } from './queries.js';

/** Inputs of performance (names and defaults are a contract). */
export const performanceInputs = {
  ...prometheusInputs,
  query: input.parsed(
    'query',
    'PromQL, one query per line, each optionally named (name: expr)',
    parseQueries,
    [],
    {
      default: 'pqc:scan_duration_p95_5m',
      description:
        "What to compare, one PromQL query per line: `name: expr`, or a bare expression (a recording-rule name names itself). Every series a query returns is compared on its own. Default: the runbook's p95 scan duration.",
    },
  ),
  recent: input.duration('recent', {
    default: '24h',
    min: 60_000,
    description: 'The recent window, ending now, whose mean is compared.',
  }),
  baseline: input.duration('baseline', {
    default: '6d',
    min: 60_000,
    description:
      'The baseline window, just before the recent one, whose mean it is compared with.',
  }),
  threshold: input.percent('threshold', {
    default: '20%',
    description:
      'A regression is a recent mean worse than the baseline mean by more than this.',
  }),
  direction: input.enumeration(
    'direction',
    ['higher-is-worse', 'lower-is-worse'] as const,
    {
      default: 'higher-is-worse',
      description:
        'Which way is worse: higher-is-worse for durations and error rates, lower-is-worse for throughput.',
    },
  ),
  failOnRegression: input.boolean('fail-on-regression', {
    default: 'true',
    description: 'Fail the step when a query regressed.',
  }),
  clusterResources: input.boolean('cluster-resources', {
    default: 'true',
    description:
      "Also read node and pod CPU and memory now (metrics.k8s.io) and requests against allocatable per node (the runbook's kubectl top nodes and describe nodes). Needs a kubeconfig; false: Prometheus only.",
  }),
  ...kubeInputs,
  namespace: input.kubeName('namespace', {
    default: 'pqc-audit',
    description:
      'Namespace of the application, whose pods are shown (now and over the window).',
  }),
  selector: input.selector('selector', {
    default: 'app=pqc-audit',
    description: 'Label selector of the application pods.',
  }),
  ...pushgatewayInput,
};

/** The performance procedure's validated options. */
export type PerformanceOptions = OptionsOf<typeof performanceInputs>;
