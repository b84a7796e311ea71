/** Discovery documents: /api, /apis, /apis/{g}/{v}, /version. */
import {
  METRICS_TYPES,
  type ResourceType,
  TYPES,
  verbsOf,
} from './registry.js';
import type { MetricsMode, Obj } from './types.js';

function types(metrics: MetricsMode): ResourceType[] {
  return metrics === 'absent' ? TYPES : [...TYPES, ...METRICS_TYPES];
}

function groupVersions(metrics: MetricsMode): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const rt of types(metrics)) {
    if (!rt.group) continue;
    const vs = m.get(rt.group) ?? [];
    if (!vs.includes(rt.version)) vs.push(rt.version);
    m.set(rt.group, vs);
  }
  return m;
}

const SUBKINDS: Record<
  string,
  { kind: string; group?: string; version?: string; verbs: string[] }
> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  scale: {
    kind: 'Scale',
    group: 'autoscaling',
    version: 'v1',
    verbs: ['get', 'patch', 'update'],
  },
  log: { kind: 'Pod', verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  eviction: {
    kind: 'Eviction',
    group: 'policy',
    version: 'v1',
    verbs: ['create'],
  },
  finalize: { kind: 'Namespace', verbs: ['update'] },
};

function resourceList(gv: string, list: ResourceType[]): Obj {
  const resources: Obj[] = [];
  for (const rt of list) {
    const r: Obj = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: verbsOf(rt),
    };
    if (rt.shortNames) r.shortNames = rt.shortNames;
    if (rt.categories) r.categories = rt.categories;
    resources.push(r);
    for (const sub of rt.subresources) {
      const s = SUBKINDS[sub];
      const e: Obj = {
        name: `${rt.plural}/${sub}`,
        singularName: '',
        namespaced: rt.namespaced,
        kind: s.kind || rt.kind,
        verbs: s.verbs,
      };
      if (s.group) e.group = s.group;
      if (s.version) e.version = s.version;
      resources.push(e);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources,
  };
}

function group(name: string, versions: string[]): Obj {
  const vs = versions.map((v) => ({
    groupVersion: `${name}/${v}`,
    version: v,
  }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** The discovery document for `path`, or undefined when not discovery. */
export function discovery(path: string, metrics: MetricsMode): Obj | undefined {
  const p = path.replace(/\/+$/, '');
  if (p === '/api')
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' },
      ],
    };
  if (p === '/api/v1')
    return resourceList(
      'v1',
      TYPES.filter((t) => !t.group),
    );
  const gvs = groupVersions(metrics);
  if (p === '/apis')
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...gvs].map(([g, vs]) => group(g, vs)),
    };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  if (!m || !gvs.has(m[1])) return undefined;
  if (!m[2])
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      ...group(m[1], gvs.get(m[1])!),
    };
  const list = types(metrics).filter(
    (t) => t.group === m[1] && t.version === m[2],
  );
  if (!list.length) return undefined;
  return resourceList(`${m[1]}/${m[2]}`, list);
}

export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};
