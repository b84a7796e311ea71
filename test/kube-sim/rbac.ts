/** RBAC: rules from Role/ClusterRole bindings, 403 texts, access reviews. */
import { findByPlural } from './registry.js';
import { ApiError } from './status.js';
import type { Store } from './store.js';
import type { Obj, UserInfo } from './types.js';

export interface Attrs {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const rt = (g: string, p: string) => findByPlural(g, 'v1', p)!;

function subjectMatches(s: Obj, u: UserInfo, bindingNs?: string): boolean {
  if (s.kind === 'User') return s.name === u.user;
  if (s.kind === 'Group') return u.groups.includes(String(s.name));
  if (s.kind === 'ServiceAccount')
    return (
      u.user ===
      `system:serviceaccount:${String(s.namespace ?? bindingNs)}:${String(s.name)}`
    );
  return false;
}

function roleRules(store: Store, ref: Obj, ns?: string): Rule[] {
  const role =
    ref.kind === 'ClusterRole'
      ? store.get(
          rt('rbac.authorization.k8s.io', 'clusterroles'),
          undefined,
          String(ref.name),
        )
      : store.get(
          rt('rbac.authorization.k8s.io', 'roles'),
          ns,
          String(ref.name),
        );
  return (role?.rules ?? []) as Rule[];
}

/** Rules that apply to `u` in namespace `ns` (cluster rules always apply). */
export function rulesFor(store: Store, u: UserInfo, ns?: string): Rule[] {
  const rules: Rule[] = [];
  for (const b of store.scan(
    rt('rbac.authorization.k8s.io', 'clusterrolebindings'),
  ))
    if (((b.subjects ?? []) as Obj[]).some((s) => subjectMatches(s, u)))
      rules.push(...roleRules(store, b.roleRef as Obj));
  if (ns)
    for (const b of store.scan(
      rt('rbac.authorization.k8s.io', 'rolebindings'),
      ns,
    ))
      if (((b.subjects ?? []) as Obj[]).some((s) => subjectMatches(s, u, ns)))
        rules.push(...roleRules(store, b.roleRef as Obj, ns));
  return rules;
}

function resourceMatches(rule: Rule, a: Attrs): boolean {
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (rule.resources ?? []).some(
    (r) =>
      r === '*' ||
      r === full ||
      (a.subresource &&
        (r === `${a.resource}/*` || r === `*/${a.subresource}`)),
  );
}

/** Does one rule allow the attributes? */
export function ruleAllows(rule: Rule, a: Attrs): boolean {
  if (!rule.verbs?.some((v) => v === '*' || v === a.verb)) return false;
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === a.group))
    return false;
  if (!resourceMatches(rule, a)) return false;
  if (rule.resourceNames?.length)
    return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

export function isMaster(u: UserInfo): boolean {
  return u.groups.includes('system:masters');
}

export function allowed(store: Store, u: UserInfo, a: Attrs): boolean {
  if (isMaster(u)) return true;
  return rulesFor(store, u, a.namespace).some((r) => ruleAllows(r, a));
}

/** The apiserver's 403 for resource requests. */
export function forbidden(u: UserInfo, a: Attrs): ApiError {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const q = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${q} "${a.name}"` : q;
  const where = a.namespace
    ? `in the namespace "${a.namespace}"`
    : 'at the cluster scope';
  const msg = `${subject} is forbidden: User "${u.user}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${where}`;
  const details: Obj = {};
  if (a.name) details.name = a.name;
  if (a.group) details.group = a.group;
  details.kind = a.resource;
  return new ApiError(403, 'Forbidden', msg, details);
}

const userRulesAll: Rule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
const discoveryRules: Rule[] = [
  {
    verbs: ['get'],
    nonResourceURLs: [
      '/api',
      '/api/*',
      '/apis',
      '/apis/*',
      '/healthz',
      '/livez',
      '/openapi',
      '/openapi/*',
      '/readyz',
      '/version',
      '/version/',
    ],
  },
];

/** status of a SelfSubjectRulesReview for `u` in `ns`. */
export function rulesReview(store: Store, u: UserInfo, ns: string): Obj {
  const rules = isMaster(u)
    ? [userRulesAll, ...rulesFor(store, u, ns)]
    : rulesFor(store, u, ns);
  return {
    resourceRules: rules
      .filter((r) => !r.nonResourceURLs)
      .map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      })),
    nonResourceRules: [
      ...discoveryRules,
      ...(isMaster(u) ? [{ verbs: ['*'], nonResourceURLs: ['*'] }] : []),
    ].map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
    incomplete: false,
  };
}

/** status of an access review for `u` and spec.resourceAttributes. */
export function accessReview(store: Store, u: UserInfo, spec: Obj): Obj {
  const ra = spec.resourceAttributes as Obj | undefined;
  if (!ra) {
    const nra = (spec.nonResourceAttributes ?? {}) as Obj;
    const ok =
      isMaster(u) ||
      (nra.verb === 'get' &&
        discoveryRules[0].nonResourceURLs!.some((p) =>
          p.endsWith('*')
            ? String(nra.path).startsWith(p.slice(0, -1))
            : p === nra.path,
        ));
    return { allowed: ok };
  }
  const a: Attrs = {
    verb: String(ra.verb ?? ''),
    group: String(ra.group ?? ''),
    resource: String(ra.resource ?? ''),
    subresource: ra.subresource ? String(ra.subresource) : undefined,
    namespace: ra.namespace ? String(ra.namespace) : undefined,
    name: ra.name ? String(ra.name) : undefined,
  };
  if (isMaster(u)) return { allowed: true };
  const rules = rulesFor(store, u, a.namespace);
  const ok = rules.some((r) => ruleAllows(r, a));
  return ok
    ? { allowed: true, reason: 'RBAC: allowed by the simulator' }
    : { allowed: false };
}
