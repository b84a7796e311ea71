/**
 * The runbook's `kubectl auth can-i --list --as=system:serviceaccount:...`
 * made assertive: one SubjectAccessReview per forbidden permission, asked of
 * the API server for the application's service account.
 */
import type { V1SubjectAccessReview } from '@kubernetes/client-node';
import type { Kube } from '../../kube/client.js';
import type { Evaluation } from './controls.js';

/** A permission the service account must not have. */
export interface Permission {
  verb: string;
  resource: string;
  group: string;
  subresource?: string;
  clusterWide: boolean;
  /** As written in the input. */
  text: string;
}

const WORD = /^[a-z*][a-z0-9.*-]*$/;

/**
 * `verb resource[.group][/subresource] [cluster-wide]`: `list secrets
 * cluster-wide`, `create pods/exec`, `patch deployments.apps/scale`, `* *`
 * (any verb on any resource of any group). A bare `*` resource means every
 * group; a named one without a group is the core group.
 */
export function parsePermission(text: string): Permission {
  const words = text.trim().split(/\s+/);
  const [verb, res, scope, ...rest] = words;
  if (!verb || !res || rest.length || (scope && scope !== 'cluster-wide'))
    throw new Error(
      `"${text}" is not "verb resource[.group][/subresource] [cluster-wide]"`,
    );
  const [resGroup = '', subresource] = res.split('/', 2);
  const dot = resGroup.indexOf('.');
  const resource = dot === -1 ? resGroup : resGroup.slice(0, dot);
  const group =
    dot === -1 ? (resource === '*' ? '*' : '') : resGroup.slice(dot + 1);
  for (const w of [
    verb,
    resource,
    ...(group ? [group] : []),
    ...(subresource ? [subresource] : []),
  ])
    if (!WORD.test(w))
      throw new Error(
        `"${text}": "${w}" is not a verb, resource or group name`,
      );
  return {
    verb,
    resource,
    group,
    ...(subresource ? { subresource } : {}),
    clusterWide: scope === 'cluster-wide',
    text: words.join(' '),
  };
}

/** One SubjectAccessReview per permission; allowed ones are findings. */
export async function rbacEvaluations(
  kube: Kube,
  namespace: string,
  serviceAccount: string,
  forbidden: Permission[],
): Promise<Evaluation[]> {
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const groups = [
    'system:serviceaccounts',
    `system:serviceaccounts:${namespace}`,
    'system:authenticated',
  ];
  const out: Evaluation[] = [];
  for (const p of forbidden) {
    const body: V1SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups,
        resourceAttributes: {
          verb: p.verb,
          group: p.group,
          resource: p.resource,
          ...(p.subresource ? { subresource: p.subresource } : {}),
          ...(p.clusterWide ? {} : { namespace }),
        },
      },
    };
    const r = await kube.call(`review "${p.text}" for ${user}`, () =>
      kube.authz.createSubjectAccessReview({ body }),
    );
    const allowed = r.status?.allowed === true;
    const where = p.clusterWide ? 'cluster-wide' : `in ${namespace}`;
    out.push({
      rule: 'rbac-forbidden',
      severity: p.verb === '*' || p.resource === '*' ? 'critical' : 'high',
      object: `ServiceAccount ${namespace}/${serviceAccount}: ${p.text}`,
      controls: ['AC-3', 'AC-6'],
      passed: !allowed,
      ...(allowed
        ? {
            message: `may ${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.group && p.group !== '*' ? `.${p.group}` : ''} ${where}${r.status?.reason ? ` (${r.status.reason})` : ''}`,
            fix: `remove the Role or ClusterRole rule that grants it (kubectl auth can-i --list --as=${user})`,
          }
        : {}),
    });
  }
  return out;
}
