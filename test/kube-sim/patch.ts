/** JSON patch, merge patch (RFC 7386), strategic merge and apply patches. */
import fjp from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './status.js';
import type { Obj } from './types.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const clone = <T>(o: T): T => structuredClone(o);
const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Patch merge keys for lists, by field name (apimachinery struct tags). */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  ports: ['containerPort', 'port', 'name'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  topologySpreadConstraints: ['topologyKey'],
  resourceClaims: ['name'],
};
const SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  const keys = MERGE_KEYS[field];
  if (!keys) return undefined;
  return keys.find((k) => items.some((i) => isObj(i) && k in i)) ?? keys[0];
}

function smpList(field: string, cur: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(cur) ? clone(cur) : [];
  if (SET_LISTS.has(field)) {
    const set = [...base];
    for (const p of patch) if (!set.includes(p)) set.push(p);
    return set;
  }
  const replaceDirective = patch.find(
    (p) => isObj(p) && p.$patch === 'replace',
  );
  if (replaceDirective)
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  const key = mergeKeyFor(field, [...base, ...patch]);
  if (!key) return clone(patch);
  for (const p of patch) {
    if (!isObj(p)) continue;
    const idx = base.findIndex((b) => isObj(b) && b[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) base.splice(idx, 1);
      continue;
    }
    if (idx >= 0) base[idx] = strategicMerge(base[idx], p);
    else base.push(strategicMerge({}, p));
  }
  return base;
}

/** Strategic merge patch for built-in types (merge keys by field name). */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const p = clone(patch);
    delete p.$patch;
    return stripDirectives(p);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$') && !k.startsWith('$deleteFromPrimitiveList/'))
      continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v))
        out[f] = (out[f] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = smpList(k, out[k], v);
    else if (isObj(v)) {
      const r = strategicMerge(out[k], v);
      if (r === undefined) delete out[k];
      else out[k] = r;
    } else out[k] = v;
  }
  return out;
}

function stripDirectives(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(stripDirectives);
  if (!isObj(o)) return o;
  const out: Obj = {};
  for (const [k, v] of Object.entries(o))
    if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

/** Parse a request body by content type. */
export function parsePatchBody(contentType: string, raw: string): unknown {
  try {
    if (contentType === PATCH_TYPES.apply) return parseYaml(raw) as unknown;
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw badRequest(
      `error decoding patch: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Apply a patch of the given content type. `custom` = custom resource
 * (strategic merge -> 415).
 */
export function applyPatch(
  contentType: string,
  current: Obj,
  body: unknown,
  custom: boolean,
): Obj {
  switch (contentType) {
    case PATCH_TYPES.json: {
      if (!Array.isArray(body))
        throw badRequest(
          'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
        );
      try {
        const r = fjp.applyPatch(
          clone(current),
          body as fjp.Operation[],
          true,
          false,
        );
        return r.newDocument;
      } catch (e) {
        const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
        throw new ApiError(
          422,
          'Invalid',
          'the server rejected our request due to an error in our request',
          { causes: [{ reason: 'UnexpectedServerResponse', message: msg }] },
        );
      }
    }
    case PATCH_TYPES.merge:
      return mergePatch(current, body) as Obj;
    case PATCH_TYPES.strategic:
      if (custom)
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      if (!isObj(body)) throw badRequest('patch body must be an object');
      return strategicMerge(current, body) as Obj;
    case PATCH_TYPES.apply:
      if (!isObj(body)) throw badRequest('apply patch must be an object');
      return mergePatch(current, body) as Obj;
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${custom ? '' : ', application/strategic-merge-patch+json'}`,
      );
  }
}
