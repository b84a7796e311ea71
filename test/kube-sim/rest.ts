/** Handlers for resource routes: CRUD, status, scale, reviews. */
import type { ServerResponse } from 'node:http';
import type { SimCore } from './core.js';
import { listObjects, type Query, serveWatch } from './list.js';
import { serveLog } from './logs.js';
import { applyPatch, PATCH_TYPES, parsePatchBody } from './patch.js';
import { accessReview, rulesReview } from './rbac.js';
import { apiVersionOf, type ResourceType } from './registry.js';
import { labelSelectorString } from './selectors.js';
import {
  ApiError,
  badRequest,
  invalid,
  methodNotAllowed,
  notFound,
  successStatus,
} from './status.js';
import type { Obj, UserInfo } from './types.js';

export interface Reply {
  status: number;
  body: unknown;
}
export type Result = Reply | 'streamed';

export interface Req {
  method: string;
  rt: ResourceType;
  ns?: string;
  name?: string;
  sub?: string;
  q: Query;
  raw: string;
  contentType: string;
  user: UserInfo;
  res: ServerResponse;
  /** The client asked for server-side printing (kubectl get). */
  table?: boolean;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });

function jsonBody(r: Req): Obj {
  try {
    const b = JSON.parse(r.raw || 'null') as unknown;
    if (typeof b !== 'object' || b === null || Array.isArray(b))
      throw new Error('expected an object');
    return b;
  } catch (e) {
    throw badRequest(
      `the body of the request was in an unknown format - ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function checkNamespace(r: Req, body: Obj) {
  body.metadata ??= {};
  const md = body.metadata as Obj;
  if (r.rt.namespaced) {
    if (md.namespace && md.namespace !== r.ns)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    md.namespace = r.ns;
  }
  if (r.name !== undefined) {
    if (md.name && md.name !== r.name)
      throw badRequest(
        `the name of the object (${String(md.name)}) does not match the name on the URL (${r.name})`,
      );
    md.name = r.name;
  }
}

function current(core: SimCore, r: Req): Obj {
  const o = core.store.get(r.rt, r.ns, r.name!);
  if (!o) throw notFound(r.rt.plural, r.rt.group, r.name!);
  return o;
}

function toScale(o: Obj): Obj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: {
      replicas: o.status?.replicas ?? 0,
      selector: labelSelectorString(o.spec?.selector as Obj),
    },
  };
}

function scale(core: SimCore, r: Req, dryRun: boolean): Reply {
  const cur = current(core, r);
  if (r.method === 'GET') return ok(toScale(cur));
  let sc: Obj;
  if (r.method === 'PUT') sc = jsonBody(r);
  else if (r.method === 'PATCH')
    sc = applyPatch(
      r.contentType,
      toScale(cur),
      parsePatchBody(r.contentType, r.raw),
      false,
    );
  else throw methodNotAllowed();
  const replicas = sc.spec?.replicas as unknown;
  if (typeof replicas !== 'number' || replicas < 0)
    throw invalid('Scale', 'autoscaling', r.name!, [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${String(replicas)}: must be greater than or equal to 0`,
        field: 'spec.replicas',
      },
    ]);
  const rv = sc.metadata?.resourceVersion as string | undefined;
  cur.spec.replicas = replicas;
  if (rv) cur.metadata.resourceVersion = rv;
  return ok(toScale(core.store.update(r.rt, cur, { dryRun })));
}

function review(core: SimCore, r: Req): Reply {
  const body = jsonBody(r);
  const spec = (body.spec ?? {}) as Obj;
  let status: Obj;
  switch (r.rt.plural) {
    case 'selfsubjectrulesreviews':
      status = rulesReview(core.store, r.user, String(spec.namespace ?? ''));
      break;
    case 'selfsubjectaccessreviews':
      status = accessReview(core.store, r.user, spec);
      break;
    default:
      status = accessReview(
        core.store,
        {
          user: String(spec.user ?? ''),
          groups: (spec.groups ?? []) as string[],
        },
        spec,
      );
  }
  return ok(
    {
      kind: r.rt.kind,
      apiVersion: apiVersionOf(r.rt),
      metadata: { creationTimestamp: null },
      spec,
      status,
    },
    201,
  );
}

/** Dispatch one resource request. */
export function handleResource(core: SimCore, r: Req): Result {
  const { rt, method, q } = r;
  const dryRun = q.dryRun === 'All';
  if (rt.createOnly) {
    if (method !== 'POST' || r.name) throw methodNotAllowed();
    return review(core, r);
  }
  if (r.sub === 'scale') return scale(core, r, dryRun);
  if (r.sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    const pod = current(core, r);
    serveLog(core.logs, pod, q, r.res, (cb) =>
      core.store.onEvent((e) => {
        if (
          e.type === 'DELETED' &&
          e.rt === rt &&
          e.object.metadata.uid === pod.metadata.uid
        )
          cb();
      }),
    );
    return 'streamed';
  }
  if (r.sub === 'exec') throw badRequest('Upgrade request required');
  if (r.sub === 'eviction') {
    if (method !== 'POST') throw methodNotAllowed();
    core.store.delete(rt, r.ns, r.name!, { dryRun });
    return ok(successStatus({ name: r.name, kind: 'pods' }), 201);
  }
  if (!r.name) {
    if (method === 'GET') {
      if (q.watch === 'true' || q.watch === '1') {
        serveWatch(core, rt, r.ns, q, r.res, r.table);
        return 'streamed';
      }
      return ok(listObjects(core, rt, r.ns, q));
    }
    if (method === 'POST') {
      const body = jsonBody(r);
      checkNamespace(r, body);
      return ok(core.store.create(rt, body, { dryRun }), 201);
    }
    if (method === 'DELETE') {
      const list = listObjects(core, rt, r.ns, {
        ...q,
        limit: undefined,
        continue: undefined,
      });
      for (const o of list.items as Obj[])
        core.store.delete(
          rt,
          o.metadata.namespace as string,
          o.metadata.name as string,
          { dryRun },
        );
      return ok(list);
    }
    throw methodNotAllowed();
  }
  const sub = r.sub === 'status' ? 'status' : undefined;
  switch (method) {
    case 'GET':
      return ok(current(core, r));
    case 'PUT': {
      const body = jsonBody(r);
      checkNamespace(r, body);
      return ok(core.store.update(rt, body, { dryRun, subresource: sub }));
    }
    case 'PATCH': {
      const patch = parsePatchBody(r.contentType, r.raw);
      if (r.contentType === PATCH_TYPES.apply && !q.fieldManager)
        throw invalid('PatchOptions', 'meta.k8s.io', '', [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ]);
      const cur = core.store.get(rt, r.ns, r.name);
      if (!cur) {
        if (r.contentType !== PATCH_TYPES.apply)
          throw notFound(rt.plural, rt.group, r.name);
        const body = patch as Obj;
        checkNamespace(r, body);
        return ok(core.store.create(rt, body, { dryRun }), 201);
      }
      const next = applyPatch(r.contentType, cur, patch, !!rt.custom);
      checkNamespace(r, next);
      return ok(core.store.update(rt, next, { dryRun, subresource: sub }));
    }
    case 'DELETE': {
      let opts: Obj = {};
      if (r.raw.trim()) opts = jsonBody(r);
      const gone = core.store.delete(rt, r.ns, r.name, {
        dryRun:
          dryRun || (opts.dryRun as string[] | undefined)?.includes('All'),
        uid: opts.preconditions?.uid as string | undefined,
        rv: opts.preconditions?.resourceVersion as string | undefined,
      });
      const policy = (opts.propagationPolicy ?? q.propagationPolicy) as
        string | undefined;
      if (policy === 'Orphan') core.orphan(gone.metadata.uid as string);
      if (rt.plural === 'pods' || rt.plural === 'namespaces') {
        gone.metadata.deletionTimestamp = new Date()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z');
        if (rt.plural === 'namespaces') gone.status = { phase: 'Terminating' };
        return ok(gone);
      }
      return ok(
        successStatus({
          name: r.name,
          ...(rt.group ? { group: rt.group } : {}),
          kind: rt.plural,
          uid: gone.metadata.uid,
        }),
      );
    }
  }
  throw new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}
