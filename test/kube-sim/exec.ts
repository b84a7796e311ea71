/** pods/exec over WebSocket (v5.channel.k8s.io), running real processes. */
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ExecHook, SimCore } from './core.js';
import { containerEnv } from './env.js';
import { pickContainer } from './logs.js';
import type { PodRoots } from './pod-root.js';
import { exitStatus, spawnIn } from './exec-spawn.js';
import { allowed, forbidden } from './rbac.js';
import { resolve } from './router.js';
import { authenticate } from './auth.js';
import { ApiError, badRequest, notFound, unknownRoute } from './status.js';
import type { JournalEntry, Obj } from './types.js';

export const execState = new WeakMap<
  SimCore,
  { wss: WebSocketServer; roots: PodRoots; procs: Set<ChildProcess> }
>();

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

function reject(socket: Duplex, code: number, body?: Obj) {
  const text = body ? JSON.stringify(body) : '';
  socket.end(
    `HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\n` +
      (body ? 'Content-Type: application/json\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function hookFor(
  core: SimCore,
  ns: string,
  pod: string,
  c: string,
  argv: string[],
): ExecHook | undefined {
  return core.execHooks.find(
    (h) =>
      (!h.namespace || h.namespace === ns) &&
      (!h.pod ||
        (typeof h.pod === 'string' ? h.pod === pod : h.pod.test(pod))) &&
      (!h.container || h.container === c) &&
      (typeof h.command === 'string' ? h.command === argv[0] : h.command(argv)),
  );
}

/** Spawn argv inside the container root (mount namespace + chroot). */
export async function handleExec(
  core: SimCore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const state = execState.get(core)!;
  const url = new URL(req.url ?? '/', 'http://sim');
  const q = url.searchParams;
  const entry: JournalEntry = {
    time: new Date().toISOString(),
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(
      [...new Set(q.keys())].map((k) => [
        k,
        q.getAll(k).length > 1 ? q.getAll(k) : q.get(k)!,
      ]),
    ),
    headers: { ...req.headers },
    status: 0,
    user: '',
  };
  core.journal.entries.push(entry);
  const fail = (e: ApiError | number) => {
    entry.status = typeof e === 'number' ? e : e.code;
    reject(socket, entry.status, typeof e === 'number' ? undefined : e.body());
  };
  const fault = core.faults.take(entry.method, url.pathname);
  if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault?.drop) return void socket.destroy();
  if (fault?.status)
    return fail(
      new ApiError(
        fault.status,
        'InternalError',
        fault.message ?? 'injected fault',
      ),
    );
  const user = authenticate(core, req);
  if (!user) return fail(401);
  entry.user = user.user;
  const route = resolve(url.pathname);
  if (route.type !== 'resource' || route.sub !== 'exec')
    return fail(unknownRoute());
  const attrs = {
    verb: 'get',
    group: '',
    resource: 'pods',
    subresource: 'exec',
    namespace: route.ns,
    name: route.name,
  };
  if (core.rbac) {
    for (const verb of ['get', 'create'])
      if (!allowed(core.store, user, { ...attrs, verb }))
        return fail(forbidden(user, { ...attrs, verb }));
  }
  const pod = core.pod(route.ns!, route.name!);
  if (!pod) return fail(notFound('pods', '', route.name!));
  let cname: string;
  try {
    cname = pickContainer(pod, q.get('container') ?? undefined);
  } catch (e) {
    return fail(e as ApiError);
  }
  const argv = q.getAll('command');
  if (!argv.length)
    return fail(badRequest('you must specify at least 1 command'));
  const st = ((pod.status?.containerStatuses ?? []) as Obj[]).find(
    (s) => s.name === cname,
  );
  if (!st?.state?.running)
    return fail(
      badRequest(
        `unable to upgrade connection: container not found ("${cname}")`,
      ),
    );
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim());
  const proto = ['v5.channel.k8s.io', 'v4.channel.k8s.io'].find((p) =>
    offered.includes(p),
  );
  if (!proto)
    return fail(
      badRequest(
        'unable to upgrade connection: no supported subprotocol offered (want v5.channel.k8s.io)',
      ),
    );
  entry.status = 101;
  state.wss.handleUpgrade(req, socket, head, (ws) =>
    run(core, state, ws, pod, cname, argv, q),
  );
}

function run(
  core: SimCore,
  state: { roots: PodRoots; procs: Set<ChildProcess> },
  ws: WebSocket,
  pod: Obj,
  cname: string,
  argv: string[],
  q: URLSearchParams,
) {
  const tty = q.get('tty') === 'true' || q.get('tty') === '1';
  const wantStdin = q.get('stdin') === 'true' || q.get('stdin') === '1';
  const c = ((pod.spec?.containers ?? []) as Obj[])
    .concat((pod.spec?.initContainers ?? []) as Obj[])
    .find((x) => x.name === cname)!;
  const frame = (ch: number, d: Buffer | string, cb?: () => void) =>
    ws.readyState === ws.OPEN
      ? ws.send(
          Buffer.concat([Buffer.from([ch]), Buffer.from(d)]),
          { binary: true },
          cb,
        )
      : cb?.();
  frame(1, '');
  let finished = false;
  const finish = (code: number | Obj) => {
    if (finished) return;
    finished = true;
    frame(
      3,
      JSON.stringify(typeof code === 'number' ? exitStatus(code) : code),
      () => ws.close(1000),
    );
  };
  const ns = pod.metadata.namespace as string;
  const hook = hookFor(core, ns, pod.metadata.name as string, cname, argv);
  let stdin: NodeJS.WritableStream;
  let kill = () => {};
  if (hook) {
    const input = new PassThrough();
    stdin = input;
    // A hook that throws, even synchronously, is the runtime failing to
    // start the program: an InternalError status, as containerd reports it.
    Promise.resolve()
      .then(() =>
        hook.run({
          argv,
          namespace: ns,
          pod: pod.metadata.name as string,
          container: cname,
          stdin: input,
          stdout: (d) => frame(1, d),
          stderr: (d) => frame(tty ? 1 : 2, d),
        }),
      )
      .then(finish, (e: unknown) =>
        finish({
          metadata: {},
          status: 'Failure',
          message: `Internal error occurred: ${String(e)}`,
          reason: 'InternalError',
          details: { causes: [{ message: String(e) }] },
          code: 500,
        }),
      );
  } else {
    const env = containerEnv(core, pod, c);
    const child = spawnIn(state.roots, pod, cname, c, argv, env);
    state.procs.add(child);
    stdin = child.stdin!;
    child.stdin!.on('error', () => {});
    kill = () => {
      try {
        if (child.pid && child.exitCode === null)
          process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const pump = (r: Readable, ch: number) =>
      r.on('data', (d: Buffer) => {
        frame(ch, d);
        if (ws.bufferedAmount > 1 << 20) {
          r.pause();
          const t = setInterval(() => {
            if (ws.bufferedAmount < 1 << 18 || ws.readyState !== ws.OPEN) {
              clearInterval(t);
              r.resume();
            }
          }, 5);
        }
      });
    pump(child.stdout!, 1);
    pump(child.stderr!, tty ? 1 : 2);
    child.on('error', (e) =>
      finish({
        metadata: {},
        status: 'Failure',
        message: `Internal error occurred: ${e.message}`,
        reason: 'InternalError',
        details: { causes: [{ message: e.message }] },
        code: 500,
      }),
    );
    child.on('close', (code, signal) => {
      state.procs.delete(child);
      const sig: Record<string, number> = {
        SIGKILL: 9,
        SIGTERM: 15,
        SIGINT: 2,
        SIGPIPE: 13,
      };
      finish(code ?? 128 + (signal ? (sig[signal] ?? 1) : 1));
    });
  }
  if (!wantStdin) stdin.end();
  ws.on('message', (data: Buffer, isBinary) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (!buf.length) return;
    if (buf[0] === 0 && wantStdin) stdin.write(buf.subarray(1));
    else if (buf[0] === 255 && buf[1] === 0) stdin.end();
  });
  ws.on('close', () => {
    if (!finished) kill();
    finished = true;
  });
  ws.on('error', () => kill());
}

/** Create the WebSocket server used for exec. */
export function createExecServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'].find((p) =>
        protocols.has(p),
      ) ?? false,
  });
}
