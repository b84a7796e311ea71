/**
 * The runbook's `kubectl top nodes` and `kubectl describe nodes | grep -A 5
 * "Allocated resources"`, and the application pods' usage, read once from
 * the API: nodes with their allocatable, every pod's requests and limits per
 * node (terminated pods left out, as kubectl does), and metrics.k8s.io.
 */
import type {
  NodeMetric,
  PodMetric,
  V1Node,
  V1Pod,
} from '@kubernetes/client-node';
import type { Kube } from '../../kube/client.js';
import { formatBytes, formatCpu, parseQuantity } from '../../kube/quantity.js';
import { table } from '../../report/markdown.js';
import type { Check } from '../../report/step-result.js';

/** Share of allocatable (used, or requested) from which a node is a warning. */
export const NODE_WARN_PERCENT = 90;

type Res = 'cpu' | 'memory';

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

/** Requests or limits of a pod, as the scheduler counts them (max of init containers and the sum of containers). */
export function podResources(
  p: V1Pod,
  kind: 'requests' | 'limits',
  r: Res,
): number {
  const main = sum(
    (p.spec?.containers ?? []).map((c) =>
      parseQuantity(c.resources?.[kind]?.[r]),
    ),
  );
  const init = Math.max(
    0,
    ...(p.spec?.initContainers ?? [])
      .map((c) => parseQuantity(c.resources?.[kind]?.[r]))
      .filter(Number.isFinite),
  );
  return Math.max(main, init);
}

/** One node's allocation and usage. */
export interface NodeRow {
  name: string;
  allocatable: Record<Res, number>;
  used?: Record<Res, number>;
  requests: Record<Res, number>;
  limits: Record<Res, number>;
  pods: number;
}

const pct = (a: number, b: number): number => (b > 0 ? (a / b) * 100 : NaN);
const fmt = (r: Res, v: number): string =>
  r === 'cpu' ? formatCpu(v) : formatBytes(v);
const cellOf = (r: Res, v: number | undefined, of: number): string =>
  v === undefined ? 'no metrics' : `${fmt(r, v)} (${pct(v, of).toFixed(0)}%)`;

/** Joins nodes, their pods and node metrics. */
export function nodeRows(
  nodes: V1Node[],
  pods: V1Pod[],
  metrics: NodeMetric[] | undefined,
): NodeRow[] {
  const live = pods.filter(
    (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  return nodes.map((n) => {
    const name = n.metadata?.name ?? '';
    const on = live.filter((p) => p.spec?.nodeName === name);
    const m = metrics?.find((x) => x.metadata.name === name);
    const per = (kind: 'requests' | 'limits') => ({
      cpu: sum(on.map((p) => podResources(p, kind, 'cpu'))),
      memory: sum(on.map((p) => podResources(p, kind, 'memory'))),
    });
    return {
      name,
      allocatable: {
        cpu: parseQuantity(n.status?.allocatable?.['cpu']),
        memory: parseQuantity(n.status?.allocatable?.['memory']),
      },
      used: m
        ? {
            cpu: parseQuantity(m.usage.cpu),
            memory: parseQuantity(m.usage.memory),
          }
        : undefined,
      requests: per('requests'),
      limits: per('limits'),
      pods: on.length,
    };
  });
}

/** The node table: usage now and allocated resources, each against allocatable. */
export function nodeTable(rows: NodeRow[]): string {
  return table(
    [
      'Node',
      'CPU used',
      'Memory used',
      'CPU requests',
      'CPU limits',
      'Memory requests',
      'Memory limits',
      'Pods',
    ],
    rows.map((n) => [
      n.name,
      cellOf('cpu', n.used?.cpu, n.allocatable.cpu),
      cellOf('memory', n.used?.memory, n.allocatable.memory),
      cellOf('cpu', n.requests.cpu, n.allocatable.cpu),
      cellOf('cpu', n.limits.cpu, n.allocatable.cpu),
      cellOf('memory', n.requests.memory, n.allocatable.memory),
      cellOf('memory', n.limits.memory, n.allocatable.memory),
      n.pods,
    ]),
  );
}

/** The nodes check: a warning when a node uses or has requested more than NODE_WARN_PERCENT of its allocatable. */
export function nodesCheck(rows: NodeRow[], haveMetrics: boolean): Check {
  const over: string[] = [];
  let top = 0;
  for (const n of rows)
    for (const r of ['cpu', 'memory'] as const) {
      const used = n.used ? pct(n.used[r], n.allocatable[r]) : NaN;
      const req = pct(n.requests[r], n.allocatable[r]);
      top = Math.max(
        top,
        Number.isFinite(used) ? used : 0,
        Number.isFinite(req) ? req : 0,
      );
      if (used > NODE_WARN_PERCENT)
        over.push(`${n.name} ${r} used ${used.toFixed(0)}%`);
      if (req > NODE_WARN_PERCENT)
        over.push(`${n.name} ${r} requested ${req.toFixed(0)}%`);
    }
  return {
    name: 'nodes',
    status: over.length ? 'warning' : 'ok',
    observed: `${rows.length} node(s); highest share of allocatable ${top.toFixed(0)}%${haveMetrics ? '' : ' (requests only: metrics.k8s.io not served)'}`,
    threshold: `used and requested < ${NODE_WARN_PERCENT}% of allocatable`,
    ...(over.length ? { detail: over.join(', ') } : {}),
  };
}

/** The application pods now: usage against requests and limits. */
export function podTable(
  pods: V1Pod[],
  metrics: PodMetric[] | undefined,
): string {
  const rows = pods.map((p) => {
    const name = p.metadata?.name ?? '';
    const m = metrics?.find((x) => x.metadata.name === name);
    const used = (r: Res) =>
      m ? sum(m.containers.map((c) => parseQuantity(c.usage[r]))) : undefined;
    const col = (r: Res) => {
      const u = used(r);
      const lim = podResources(p, 'limits', r);
      const req = podResources(p, 'requests', r);
      const of = lim > 0 ? lim : req;
      return [
        u === undefined ? 'no metrics' : fmt(r, u),
        req > 0 ? fmt(r, req) : 'none',
        lim > 0 ? fmt(r, lim) : 'none',
        u !== undefined && of > 0
          ? `${pct(u, of).toFixed(0)}% of ${lim > 0 ? 'limit' : 'request'}`
          : '',
      ];
    };
    return [name, p.spec?.nodeName ?? '', ...col('cpu'), ...col('memory')];
  });
  return table(
    [
      'Pod',
      'Node',
      'CPU used',
      'CPU request',
      'CPU limit',
      'CPU %',
      'Memory used',
      'Memory request',
      'Memory limit',
      'Memory %',
    ],
    rows,
  );
}

/** Reads nodes, pods and metrics and renders the cluster section. */
export async function clusterNow(
  kube: Kube,
  namespace: string,
  selector: string,
): Promise<{ checks: Check[]; details: string[] }> {
  const nodes = await kube.listAll<V1Node>('list nodes', (cont, limit) =>
    kube.core.listNode({ limit, _continue: cont }),
  );
  const pods = await kube.listAll<V1Pod>(
    'list pods in all namespaces',
    (cont, limit) =>
      kube.core.listPodForAllNamespaces({ limit, _continue: cont }),
  );
  const nodeMetrics = await kube.nodeMetrics();
  const app = await kube.listAll<V1Pod>(
    `list pods ${selector} in ${namespace}`,
    (cont, limit) =>
      kube.core.listNamespacedPod({
        namespace,
        labelSelector: selector,
        limit,
        _continue: cont,
      }),
  );
  const podMetrics = app.length ? await kube.podMetrics(namespace) : undefined;
  const rows = nodeRows(nodes, pods, nodeMetrics);
  const checks = [nodesCheck(rows, nodeMetrics !== undefined)];
  const details = [
    `#### Nodes now (kubectl top nodes, allocated resources)\n\n${nodeTable(rows)}`,
    `#### Application pods now (${namespace}, ${selector})\n\n${app.length ? podTable(app, podMetrics) : 'No pod matches.'}`,
  ];
  return { checks, details };
}
