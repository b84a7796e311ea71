/** Path parsing: which resource, namespace, name and subresource. */
import { findByPlural, type ResourceType } from './registry.js';
import type { Attrs } from './rbac.js';

export type Route =
  | { type: 'nonresource'; path: string }
  | {
      type: 'metrics';
      plural: 'pods' | 'nodes';
      ns?: string;
      name?: string;
    }
  | {
      type: 'resource';
      rt: ResourceType;
      ns?: string;
      name?: string;
      sub?: string;
    }
  | { type: 'unknown' };

const NONRESOURCE = /^\/(api|apis|version|openapi|healthz|livez|readyz)(\/|$)/;

/** Resolve a request path. */
export function resolve(path: string): Route {
  const seg = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) {
    group = '';
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 4) {
    group = seg[1];
    version = seg[2];
    rest = seg.slice(3);
  } else if (NONRESOURCE.test(path)) return { type: 'nonresource', path };
  else return { type: 'unknown' };

  let ns: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))
  ) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub, ...extra] = rest;
  if (extra.length) return { type: 'unknown' };
  if (group === 'metrics.k8s.io' && version === 'v1beta1') {
    if (plural !== 'pods' && plural !== 'nodes') return { type: 'unknown' };
    if (sub) return { type: 'unknown' };
    return { type: 'metrics', plural, ns, name };
  }
  const rt = findByPlural(group, version, plural);
  if (!rt) return { type: 'unknown' };
  if (ns !== undefined && !rt.namespaced) return { type: 'unknown' };
  if (sub && !rt.subresources.includes(sub)) return { type: 'unknown' };
  return { type: 'resource', rt, ns, name, sub };
}

/** Authorization attributes of a resource request. */
export function attrsOf(
  route: Extract<Route, { type: 'resource' }>,
  method: string,
  watch: boolean,
): Attrs {
  const { rt, ns, name, sub } = route;
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = watch ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  const a: Attrs = { verb, group: rt.group, resource: rt.plural };
  if (sub) a.subresource = sub;
  if (rt.plural === 'namespaces' && !rt.group && name) a.namespace = name;
  else if (ns) a.namespace = ns;
  if (name) a.name = name;
  return a;
}
