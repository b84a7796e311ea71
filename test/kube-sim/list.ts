/** Lists with selectors and pagination, and watches. */
import type { ServerResponse } from 'node:http';
import type { SimCore } from './core.js';
import { apiVersionOf, type ResourceType } from './registry.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, statusBody } from './status.js';
import type { StoreEvent } from './store.js';
import { toTable } from './table.js';
import type { Obj } from './types.js';

export type Query = Record<string, string | undefined>;

/** Continue tokens issued before this resourceVersion are expired (410). */
export const continueState = new WeakMap<
  SimCore,
  { minRv: number; ttlMs: number }
>();

function matcher(rt: ResourceType, q: Query): (o: Obj) => boolean {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector, rt);
  return (o) =>
    labels((o.metadata?.labels ?? {}) as Record<string, string>) && fields(o);
}

const keyOf = (o: Obj) =>
  `${String(o.metadata.namespace ?? '')}/${String(o.metadata.name)}`;

interface Token {
  v: string;
  rv: number;
  start: string;
  t: number;
}

function decodeToken(s: string): Token {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString()) as Token;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.start !== 'string')
      throw new Error();
    return t;
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

const EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** Build a list response. */
export function listObjects(
  core: SimCore,
  rt: ResourceType,
  ns: string | undefined,
  q: Query,
): Obj {
  const match = matcher(rt, q);
  // Filter and page the live objects; copy only the page that is sent.
  let items = core.store.sorted(rt, ns).filter(match);
  let listRv = core.store.rv;
  if (q.continue) {
    const t = decodeToken(q.continue);
    const st = continueState.get(core);
    if (st && (t.rv < st.minRv || Date.now() - t.t > st.ttlMs))
      throw new ApiError(410, 'Expired', EXPIRED, {});
    listRv = t.rv;
    items = items.filter((o) => keyOf(o) > t.start);
  }
  const meta: Obj = { resourceVersion: String(listRv) };
  const limit = q.limit ? Number(q.limit) : 0;
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const token: Token = {
      v: 'meta.k8s.io/v1',
      rv: listRv,
      start: keyOf(page[page.length - 1]),
      t: Date.now(),
    };
    meta.continue = Buffer.from(JSON.stringify(token)).toString('base64url');
    meta.remainingItemCount = items.length - limit;
    items = page;
  }
  items = items.map((o) => structuredClone(o));
  if (!rt.custom)
    for (const o of items) {
      delete o.kind;
      delete o.apiVersion;
    }
  return {
    kind: `${rt.kind}List`,
    apiVersion: apiVersionOf(rt),
    metadata: meta,
    items,
  };
}

/** Stream a watch: newline-delimited JSON events. */
export function serveWatch(
  core: SimCore,
  rt: ResourceType,
  ns: string | undefined,
  q: Query,
  res: ServerResponse,
  table = false,
): void {
  const match = matcher(rt, q);
  const inScope = (o: Obj) =>
    !ns || !rt.namespaced || o.metadata.namespace === ns;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const send = (type: string, object: Obj) =>
    res.write(
      `${JSON.stringify({ type, object: table && type !== 'ERROR' && type !== 'BOOKMARK' ? toTable(object) : object })}\n`,
    );
  const onEvent = (e: StoreEvent) => {
    if (e.rt !== rt || !inScope(e.object)) return;
    const now = match(e.object);
    const before = e.old ? match(e.old) : false;
    if (e.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', e.object);
      else if (now) send('ADDED', e.object);
      else if (before) send('DELETED', e.object);
    } else if (now) send(e.type, e.object);
  };
  const rv = q.resourceVersion;
  if (!rv || rv === '0') {
    for (const o of core.store.list(rt, ns).filter(match)) send('ADDED', o);
  } else {
    const n = Number(rv);
    if (!(n >= core.store.oldestRv())) {
      send(
        'ERROR',
        statusBody(
          410,
          'Expired',
          `too old resource version: ${rv} (${core.store.oldestRv()})`,
        ),
      );
      res.end();
      return;
    }
    for (const e of core.store.history) if (e.rv > n) onEvent(e);
  }
  const off = core.store.onEvent(onEvent);
  const timers: NodeJS.Timeout[] = [];
  if (q.allowWatchBookmarks === 'true')
    timers.push(
      setInterval(() => {
        send('BOOKMARK', {
          kind: rt.kind,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(core.store.rv) },
        });
      }, 15_000),
    );
  const end = () => {
    off();
    timers.forEach(clearTimeout);
    core.closers.delete(end);
    res.end();
  };
  if (q.timeoutSeconds)
    timers.push(setTimeout(end, Number(q.timeoutSeconds) * 1000));
  core.closers.add(end);
  res.on('close', end);
}
