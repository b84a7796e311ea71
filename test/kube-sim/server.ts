/** The HTTP(S) front: journal, faults, authentication, authorization, routing. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { authenticate } from './auth.js';
import type { SimCore } from './core.js';
import { discovery } from './discovery.js';
import { handleExec } from './exec.js';
import { faultStatus } from './journal.js';
import { openapi } from './openapi.js';
import { decodeReview } from './proto.js';
import { serveMetrics } from './metrics.js';
import { allowed, forbidden } from './rbac.js';
import { handleResource, type Result } from './rest.js';
import { attrsOf, resolve } from './router.js';
import { ApiError, statusBody, unknownRoute } from './status.js';
import { toTable, wantsTable } from './table.js';
import type { Fault, JournalEntry, Obj, UserInfo } from './types.js';

type Q = Record<string, string | string[]>;

function queryOf(url: URL): Q {
  const q: Q = {};
  for (const [k, v] of url.searchParams) {
    const prev = q[k];
    q[k] =
      prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return q;
}

const first = (q: Q): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(q).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
  );

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      // kubectl auth can-i sends protobuf; decode it to JSON.
      if (/protobuf/.test(req.headers['content-type'] ?? '') && buf.length) {
        try {
          req.headers['content-type'] = 'application/json';
          return resolveBody(JSON.stringify(decodeReview(buf)));
        } catch {
          return resolveBody(buf.toString('latin1'));
        }
      }
      resolveBody(buf.toString());
    });
    req.on('error', reject);
  });
}

function parseMaybe(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  fault?: Fault,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  if (fault?.drop === 'mid-body') {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))), () =>
      res.socket?.destroy(),
    );
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}

async function handle(
  core: SimCore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://sim');
  const method = req.method ?? 'GET';
  const raw = await readBody(req);
  const query = queryOf(url);
  const entry: JournalEntry = {
    time: new Date().toISOString(),
    method,
    path: url.pathname,
    query,
    headers: { ...req.headers },
    status: 0,
    user: '',
  };
  const body = parseMaybe(raw);
  if (body !== undefined) entry.body = body;
  core.journal.entries.push(entry);
  const origWriteHead = res.writeHead.bind(res) as (
    ...a: unknown[]
  ) => ServerResponse;
  res.writeHead = (...a: unknown[]) => {
    entry.status = a[0] as number;
    return origWriteHead(...a);
  };

  const user = authenticate(core, req);
  entry.user = user?.user ?? '';
  const fault = core.faults.take(method, url.pathname);
  if (fault?.delayMs) await sleep(fault.delayMs);
  if (fault?.drop === 'before-response') {
    entry.status = -1;
    req.socket.destroy();
    return;
  }
  if (fault?.status) {
    const d = faultStatus(fault.status);
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined)
      headers['Retry-After'] = String(fault.retryAfter);
    const details =
      fault.retryAfter !== undefined
        ? { retryAfterSeconds: fault.retryAfter }
        : undefined;
    sendJson(
      res,
      fault.status,
      statusBody(fault.status, d.reason, fault.message ?? d.message, details),
      fault,
      headers,
    );
    return;
  }

  if (!user) {
    res.writeHead(401);
    res.end();
    return;
  }
  try {
    const result = route(
      core,
      method,
      url.pathname,
      query,
      raw,
      req,
      res,
      user,
    );
    if (result === 'streamed') return;
    let out = result.body;
    if (wantsTable(req.headers.accept) && method === 'GET' && !query.watch)
      out = toTable(out as Obj);
    sendJson(res, result.status, out, fault);
  } catch (e) {
    if (e instanceof ApiError)
      sendJson(res, e.code, e.body(), fault, e.headers);
    else {
      const msg = e instanceof Error ? e.message : String(e);
      sendJson(
        res,
        500,
        statusBody(500, 'InternalError', `Internal error occurred: ${msg}`, {
          causes: [{ message: msg }],
        }),
        fault,
      );
    }
  }
}

function route(
  core: SimCore,
  method: string,
  path: string,
  query: Q,
  raw: string,
  req: IncomingMessage,
  res: ServerResponse,
  user: UserInfo,
): Result {
  const q = first(query);
  const r = resolve(path);
  if (r.type === 'nonresource') {
    if (path === '/version' || path === '/version/')
      return { status: 200, body: core.version };
    if (/^\/(healthz|livez|readyz)/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return 'streamed';
    }
    const d = discovery(path, core.metrics.mode) ?? openapi(path);
    if (d && method === 'GET') return { status: 200, body: d };
    throw unknownRoute();
  }
  if (r.type === 'unknown') throw unknownRoute();
  if (r.type === 'metrics') {
    if (core.metrics.mode === 'absent') throw unknownRoute();
    const a = {
      verb: r.name ? 'get' : 'list',
      group: 'metrics.k8s.io',
      resource: r.plural,
      namespace: r.ns,
      name: r.name,
    };
    if (core.rbac && !allowed(core.store, user, a)) throw forbidden(user, a);
    const body = serveMetrics(
      core.metrics,
      r,
      q,
      core.store.scan(core.core('pods')),
      core.store.scan(core.core('nodes')),
    );
    return { status: 200, body };
  }
  const attrs = attrsOf(r, method, q.watch === 'true' || q.watch === '1');
  if (core.rbac && !allowed(core.store, user, attrs))
    throw forbidden(user, attrs);
  const contentType = (req.headers['content-type'] ?? 'application/json')
    .split(';')[0]
    .trim();
  return handleResource(core, {
    method,
    rt: r.rt,
    ns: r.ns,
    name: r.name,
    sub: r.sub,
    q,
    raw,
    contentType,
    user,
    res,
    table: wantsTable(req.headers.accept),
  });
}

/** One listener that serves both plain HTTP and TLS (sniffing the first byte). */
export interface DualServer {
  listen(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Create the server. Plain HTTP and HTTPS share one port: kubectl never sends
 * bearer tokens over plain http (kubernetes/kubectl#744), so kubeconfigs use https.
 */
export function createServer(
  core: SimCore,
  tls: { key: string; cert: string },
): DualServer {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(core, req, res).catch((e: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, statusBody(500, 'InternalError', String(e)));
      else res.destroy();
    });
  };
  const plain = http.createServer(handler);
  const secure = https.createServer(tls, handler);
  for (const s of [plain, secure])
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      handleExec(core, req, socket, head).catch(() => socket.destroy());
    });
  const sockets = new Set<net.Socket>();
  const front = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.once('readable', () => {
      const chunk = sock.read(1) as Buffer | null;
      if (!chunk) return void sock.destroy();
      sock.unshift(chunk);
      (chunk[0] === 0x16 ? secure : plain).emit('connection', sock);
    });
  });
  return {
    listen: () =>
      new Promise((r) =>
        front.listen(0, '127.0.0.1', () =>
          r((front.address() as net.AddressInfo).port),
        ),
      ),
    close: async () => {
      plain.closeAllConnections();
      secure.closeAllConnections();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => front.close(() => r()));
    },
  };
}
