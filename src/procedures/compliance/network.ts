/**
 * Network isolation of the application pods: a NetworkPolicy that selects
 * them, has the policy type and no rule of that direction denies all of it
 * (the other policies then allow by exception).
 */
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1Pod,
} from '@kubernetes/client-node';
import type { Kube } from '../../kube/client.js';
import type { Evaluation } from './controls.js';

type Labels = Record<string, string>;

/** Whether a LabelSelector (matchLabels and matchExpressions) selects `labels`; {} selects all. */
export function selects(
  sel: V1LabelSelector | undefined,
  labels: Labels,
): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(v ?? '')
        : e.operator === 'NotIn'
          ? !has || !values.includes(v ?? '')
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** The policy types in effect: as given, else Ingress (plus Egress when it has egress rules). */
function policyTypes(p: V1NetworkPolicy): string[] {
  const given = p.spec?.policyTypes;
  if (given?.length) return given;
  return p.spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Names of the policies that deny all of `direction` for a pod with `labels`. */
export function denyingPolicies(
  policies: V1NetworkPolicy[],
  labels: Labels,
  direction: 'Ingress' | 'Egress',
): string[] {
  const rules = (p: V1NetworkPolicy) =>
    direction === 'Ingress' ? p.spec?.ingress : p.spec?.egress;
  return policies
    .filter(
      (p) =>
        selects(p.spec?.podSelector, labels) &&
        policyTypes(p).includes(direction) &&
        (rules(p) ?? []).length === 0,
    )
    .map((p) => p.metadata?.name ?? '');
}

/** `app=pqc-audit,tier=web` -> its equality terms as labels (set-based terms are left out). */
export function selectorLabels(selector: string): Labels {
  const out: Labels = {};
  for (const term of selector.split(',')) {
    const m = /^\s*([^!=\s]+)\s*==?\s*([^\s]*)\s*$/.exec(term);
    if (m) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

const FIX: Record<'Ingress' | 'Egress', string> = {
  Ingress:
    'add a NetworkPolicy with podSelector {} and policyTypes [Ingress] and no ingress rules, then allow what the service needs',
  Egress:
    'add a NetworkPolicy with podSelector {} and policyTypes [Egress] and no egress rules, then allow DNS and the database',
};

/**
 * Default-deny ingress (high) and egress (medium) for the application pods
 * (their labels; the selector's when no pod runs).
 */
export async function networkEvaluations(
  kube: Kube,
  namespace: string,
  selector: string,
  pods: V1Pod[],
): Promise<Evaluation[]> {
  const net = kube.api(kube.lib.NetworkingV1Api);
  const policies = await kube.listAll<V1NetworkPolicy>(
    `list networkpolicies in ${namespace}`,
    (c, limit) =>
      net.listNamespacedNetworkPolicy({ namespace, limit, _continue: c }),
  );
  const targets = pods.length
    ? pods.map((p) => ({
        name: `Pod ${namespace}/${p.metadata?.name ?? ''}`,
        labels: p.metadata?.labels ?? {},
      }))
    : [
        {
          name: `pods ${selector} in ${namespace}`,
          labels: selectorLabels(selector),
        },
      ];
  const out: Evaluation[] = [];
  for (const direction of ['Ingress', 'Egress'] as const) {
    const uncovered = targets.filter(
      (t) => denyingPolicies(policies, t.labels, direction).length === 0,
    );
    out.push({
      rule: `network-default-deny-${direction.toLowerCase()}`,
      severity: direction === 'Ingress' ? 'high' : 'medium',
      object: `pods ${selector} in ${namespace}`,
      controls: ['AC-4', 'SC-7', 'SC-7(5)'],
      passed: uncovered.length === 0,
      ...(uncovered.length
        ? {
            message: `no default-deny ${direction.toLowerCase()} NetworkPolicy covers ${uncovered.map((t) => t.name).join(', ')}`,
            fix: FIX[direction],
          }
        : {}),
    });
  }
  return out;
}
