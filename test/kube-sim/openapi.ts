/**
 * A minimal OpenAPI v3 surface: enough for kubectl's field-validation probe
 * (create/apply/patch default --validate=strict), which otherwise fails.
 */
import { apiVersionOf, TYPES } from './registry.js';
import type { Obj } from './types.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Answer /openapi/v3 and /openapi/v3/{gv}; undefined when not ours. */
export function openapi(path: string): Obj | undefined {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const t of TYPES) gvs.set(gvPath(t.group, t.version), t);
  if (path === '/openapi/v3' || path === '/openapi/v3/')
    return {
      paths: Object.fromEntries(
        [...gvs.keys()].map((p) => [
          p,
          {
            serverRelativeURL: `/openapi/v3/${p}?hash=SIM0000000000000000000000000000000000000000000000000000000000000000`,
          },
        ]),
      ),
    };
  const gv = path.replace(/^\/openapi\/v3\//, '');
  const t0 = gvs.get(gv);
  if (!t0) return undefined;
  const paths: Obj = {};
  for (const t of TYPES) {
    if (gvPath(t.group, t.version) !== gv || t.createOnly) continue;
    const base = `/${gv}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const params = [
      {
        name: 'fieldValidation',
        in: 'query',
        schema: { type: 'string', uniqueItems: true },
      },
      {
        name: 'fieldManager',
        in: 'query',
        schema: { type: 'string', uniqueItems: true },
      },
      {
        name: 'dryRun',
        in: 'query',
        schema: { type: 'string', uniqueItems: true },
      },
    ];
    const op = (id: string) => ({
      operationId: `${id}${t.kind}`,
      parameters: params,
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': id,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[base] = { post: op('post') };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put'),
      patch: op('patch'),
      delete: op('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas: {} },
    'x-sim-group-version': apiVersionOf(t0),
  };
}
