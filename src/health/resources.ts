import type { PodMetric, V1Pod } from '@kubernetes/client-node';
import { formatBytes, formatCpu, parseQuantity } from '../kube/quantity.js';
import { table } from '../report/markdown.js';
import type { Check } from '../report/step-result.js';

/** One container's usage against its limit (else its request). */
export interface Usage {
  pod: string;
  container: string;
  resource: 'cpu' | 'memory';
  used: number;
  /** The limit, else the request; undefined when the spec has neither. */
  of?: number;
  basis?: 'limit' | 'request';
  percent?: number;
}

/** Joins pod metrics with the pod specs. */
export function usages(pods: V1Pod[], metrics: PodMetric[]): Usage[] {
  const byName = new Map(pods.map((p) => [p.metadata?.name, p]));
  const out: Usage[] = [];
  for (const m of metrics) {
    const pod = byName.get(m.metadata.name);
    if (!pod) continue;
    for (const c of m.containers) {
      const spec = pod.spec?.containers.find((s) => s.name === c.name);
      for (const resource of ['cpu', 'memory'] as const) {
        const used = parseQuantity(c.usage[resource]);
        const limit = parseQuantity(spec?.resources?.limits?.[resource]);
        const request = parseQuantity(spec?.resources?.requests?.[resource]);
        const [of, basis] =
          limit > 0
            ? [limit, 'limit' as const]
            : request > 0
              ? [request, 'request' as const]
              : [undefined, undefined];
        out.push({
          pod: m.metadata.name,
          container: c.name,
          resource,
          used,
          of,
          basis,
          percent: of ? (used / of) * 100 : undefined,
        });
      }
    }
  }
  return out;
}

const fmt = (r: 'cpu' | 'memory', v: number) =>
  r === 'cpu' ? formatCpu(v) : formatBytes(v);

/** The cpu or memory check: the highest container against the threshold. */
export function resourceCheck(
  all: Usage[],
  resource: 'cpu' | 'memory',
  thresholdPct: number,
): Check {
  const us = all.filter((u) => u.resource === resource);
  const compared = us.filter((u) => u.percent !== undefined);
  const name = resource;
  if (compared.length === 0) {
    return {
      name,
      status: us.length === 0 ? 'skipped' : 'warning',
      observed:
        us.length === 0
          ? 'no metrics for these pods'
          : 'no container has a limit or request to compare with',
      threshold: `< ${thresholdPct}% of limit, else of request`,
    };
  }
  const top = compared.reduce((a, b) =>
    (b.percent ?? 0) > (a.percent ?? 0) ? b : a,
  );
  const over = compared.filter((u) => (u.percent ?? 0) > thresholdPct);
  return {
    name,
    status: over.length > 0 ? 'warning' : 'ok',
    observed: `max ${(top.percent ?? 0).toFixed(0)}% of ${top.basis} (${top.pod}/${top.container}: ${fmt(resource, top.used)} of ${fmt(resource, top.of ?? 0)})`,
    threshold: `< ${thresholdPct}% of limit, else of request`,
    detail: over.length
      ? `over threshold: ${over.map((u) => `${u.pod}/${u.container} ${(u.percent ?? 0).toFixed(0)}% of ${u.basis}`).join(', ')}`
      : undefined,
  };
}

/** The per-container usage table for the report. */
export function usageTable(all: Usage[]): string {
  if (all.length === 0) return '';
  const rows = all.map((u) => [
    u.pod,
    u.container,
    u.resource,
    fmt(u.resource, u.used),
    u.of !== undefined ? `${fmt(u.resource, u.of)} (${u.basis})` : 'none set',
    u.percent !== undefined ? `${u.percent.toFixed(0)}%` : '',
  ]);
  return (
    '#### Resource usage\n\n' +
    table(['Pod', 'Container', 'Resource', 'Used', 'Of', '%'], rows)
  );
}
