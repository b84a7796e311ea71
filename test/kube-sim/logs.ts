/** Per-container log buffers and the pods/log endpoint. */
import type { ServerResponse } from 'node:http';
import { badRequest } from './status.js';
import type { Obj } from './types.js';

interface Line {
  time: Date;
  text: string;
}
interface Buffers {
  current: Line[];
  previous?: Line[];
}
type Follower = (l: Line) => void;

export class LogStore {
  private bufs = new Map<string, Buffers>();
  private followers = new Map<string, Set<Follower>>();

  private key(ns: string, pod: string, c: string) {
    return `${ns}/${pod}/${c}`;
  }

  private buf(ns: string, pod: string, c: string): Buffers {
    const k = this.key(ns, pod, c);
    let b = this.bufs.get(k);
    if (!b) this.bufs.set(k, (b = { current: [] }));
    return b;
  }

  append(ns: string, pod: string, c: string, text: string, previous = false) {
    const b = this.buf(ns, pod, c);
    const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    for (const t of lines) {
      const l = { time: new Date(), text: t };
      if (previous) (b.previous ??= []).push(l);
      else {
        b.current.push(l);
        for (const f of this.followers.get(this.key(ns, pod, c)) ?? []) f(l);
      }
    }
  }

  /** A container restarted: current becomes previous. */
  restart(ns: string, pod: string, c: string) {
    const b = this.buf(ns, pod, c);
    b.previous = b.current;
    b.current = [];
  }

  hasPrevious(ns: string, pod: string, c: string): boolean {
    return !!this.bufs.get(this.key(ns, pod, c))?.previous;
  }

  dropPod(ns: string, pod: string) {
    for (const k of [...this.bufs.keys()])
      if (k.startsWith(`${ns}/${pod}/`)) this.bufs.delete(k);
  }

  lines(ns: string, pod: string, c: string, previous: boolean): Line[] {
    const b = this.bufs.get(this.key(ns, pod, c));
    return (previous ? b?.previous : b?.current) ?? [];
  }

  follow(ns: string, pod: string, c: string, f: Follower): () => void {
    const k = this.key(ns, pod, c);
    let s = this.followers.get(k);
    if (!s) this.followers.set(k, (s = new Set()));
    s.add(f);
    return () => s.delete(f);
  }
}

const truthy = (v: string | undefined) =>
  v !== undefined && v !== 'false' && v !== '0' && v !== '';

/** Which container the request means; 400 texts as the kubelet/apiserver. */
export function pickContainer(pod: Obj, requested: string | undefined): string {
  const name = pod.metadata.name as string;
  const all = [
    ...((pod.spec?.containers ?? []) as Obj[]),
    ...((pod.spec?.initContainers ?? []) as Obj[]),
  ].map((c) => c.name as string);
  if (requested) {
    if (!all.includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const main = ((pod.spec?.containers ?? []) as Obj[]).map(
    (c) => c.name as string,
  );
  if (main.length === 1) return main[0];
  const dflt = pod.metadata.annotations?.[
    'kubectl.kubernetes.io/default-container'
  ] as string | undefined;
  if (dflt && main.includes(dflt)) return dflt;
  throw badRequest(
    `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`,
  );
}

/** Serve GET pods/{name}/log. Returns a cleanup for follow streams. */
export function serveLog(
  logs: LogStore,
  pod: Obj,
  q: Record<string, string | undefined>,
  res: ServerResponse,
  onPodGone: (cb: () => void) => () => void,
): void {
  const ns = pod.metadata.namespace as string;
  const name = pod.metadata.name as string;
  const c = pickContainer(pod, q.container);
  const previous = truthy(q.previous);
  const st = ((pod.status?.containerStatuses ?? []) as Obj[]).find(
    (s) => s.name === c,
  );
  if (previous && !logs.hasPrevious(ns, name, c) && !(st?.restartCount > 0))
    throw badRequest(
      `previous terminated container "${c}" in pod "${name}" not found`,
    );
  if (
    !previous &&
    st?.state?.waiting &&
    !(st.restartCount > 0) &&
    !st.lastState?.terminated
  )
    throw badRequest(
      `container "${c}" in pod "${name}" is waiting to start: ${String(st.state.waiting.reason)}`,
    );
  let lines = logs.lines(ns, name, c, previous);
  const since = q.sinceSeconds
    ? Date.now() - Number(q.sinceSeconds) * 1000
    : q.sinceTime
      ? Date.parse(q.sinceTime)
      : undefined;
  if (since !== undefined)
    lines = lines.filter((l) => l.time.getTime() >= since);
  if (q.tailLines !== undefined && q.tailLines !== '') {
    const n = Number(q.tailLines);
    lines = n <= 0 ? [] : lines.slice(-n);
  }
  const ts = truthy(q.timestamps);
  const fmt = (l: Line) =>
    ts ? `${l.time.toISOString().replace('Z', '000000Z')} ${l.text}` : l.text;
  let limit = q.limitBytes ? Number(q.limitBytes) : Infinity;
  let text = lines.map(fmt).join('');
  if (text.length > limit)
    text = Buffer.from(text).subarray(0, limit).toString();
  limit -= Buffer.byteLength(text);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  if (!truthy(q.follow) || previous) {
    res.end(text);
    return;
  }
  res.write(text);
  const stop = () => {
    unfollow();
    ungone();
    res.end();
  };
  const unfollow = logs.follow(ns, name, c, (l) => {
    const s = fmt(l);
    if (limit <= 0) return stop();
    limit -= Buffer.byteLength(s);
    res.write(s);
  });
  const ungone = onPodGone(stop);
  res.on('close', () => {
    unfollow();
    ungone();
  });
}
