/** metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics. */
import { createHash } from 'node:crypto';
import { parseLabelSelector } from './selectors.js';
import { ApiError, notFound } from './status.js';
import type { MetricsMode, Obj } from './types.js';

export interface ContainerUsage {
  name: string;
  cpu: string;
  memory: string;
}

export class MetricsState {
  mode: MetricsMode = 'ok';
  pods = new Map<string, ContainerUsage[]>();
  nodes = new Map<string, { cpu: string; memory: string }>();
}

/** A stable pseudo-random number from a string. */
function seed(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

function defaultUsage(ns: string, pod: string, c: string): ContainerUsage {
  const h = seed(`${ns}/${pod}/${c}`);
  return {
    name: c,
    cpu: `${1_000_000 + (h % 250_000_000)}n`,
    memory: `${20_000 + (h % 200_000)}Ki`,
  };
}

const API = 'metrics.k8s.io/v1beta1';

function podMetrics(state: MetricsState, pod: Obj): Obj {
  const ns = pod.metadata.namespace as string;
  const name = pod.metadata.name as string;
  const set = state.pods.get(`${ns}/${name}`);
  const containers =
    set ??
    ((pod.spec?.containers ?? []) as Obj[]).map((c) =>
      defaultUsage(ns, name, c.name as string),
    );
  return {
    metadata: {
      name,
      namespace: ns,
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: pod.metadata.labels ?? {},
    },
    timestamp: new Date(Date.now() - 5000)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z'),
    window: '15.011s',
    containers: containers.map((c) => ({
      name: c.name,
      usage: { cpu: c.cpu, memory: c.memory },
    })),
  };
}

function nodeMetrics(state: MetricsState, node: Obj): Obj {
  const name = node.metadata.name as string;
  const h = seed(name);
  const u = state.nodes.get(name) ?? {
    cpu: `${200_000_000 + (h % 800_000_000)}n`,
    memory: `${2_000_000 + (h % 2_000_000)}Ki`,
  };
  return {
    metadata: {
      name,
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: node.metadata.labels ?? {},
    },
    timestamp: new Date(Date.now() - 5000)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z'),
    window: '20.05s',
    usage: { cpu: u.cpu, memory: u.memory },
  };
}

/** Answer a metrics request; pods/nodes are the stored objects. */
export function serveMetrics(
  state: MetricsState,
  route: { plural: 'pods' | 'nodes'; ns?: string; name?: string },
  q: Record<string, string | undefined>,
  pods: Obj[],
  nodes: Obj[],
): Obj {
  if (state.mode === 'absent')
    throw new ApiError(
      404,
      'NotFound',
      'the server could not find the requested resource',
      {},
    );
  if (state.mode === 'unavailable')
    throw new ApiError(
      503,
      'ServiceUnavailable',
      'the server is currently unable to handle the request',
      {},
    );
  const match = parseLabelSelector(q.labelSelector);
  if (route.plural === 'pods') {
    const running = pods.filter(
      (p) =>
        p.status?.phase === 'Running' &&
        (!route.ns || p.metadata.namespace === route.ns),
    );
    if (route.name) {
      const p = running.find((x) => x.metadata.name === route.name);
      if (!p) throw notFound('pods', 'metrics.k8s.io', route.name);
      return { kind: 'PodMetrics', apiVersion: API, ...podMetrics(state, p) };
    }
    return {
      kind: 'PodMetricsList',
      apiVersion: API,
      metadata: {},
      items: running
        .filter((p) =>
          match((p.metadata.labels ?? {}) as Record<string, string>),
        )
        .map((p) => podMetrics(state, p)),
    };
  }
  if (route.name) {
    const n = nodes.find((x) => x.metadata.name === route.name);
    if (!n) throw notFound('nodes', 'metrics.k8s.io', route.name);
    return { kind: 'NodeMetrics', apiVersion: API, ...nodeMetrics(state, n) };
  }
  return {
    kind: 'NodeMetricsList',
    apiVersion: API,
    metadata: {},
    items: nodes
      .filter((n) => match((n.metadata.labels ?? {}) as Record<string, string>))
      .map((n) => nodeMetrics(state, n)),
  };
}
