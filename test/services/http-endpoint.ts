import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readBody } from './http-util.js';

/** One scripted answer. */
export interface ScriptedResponse {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

/** A request as the endpoint saw it. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `Date.now()` when the request arrived. */
  time: number;
}

/** A local HTTP server whose answers are scripted per path. */
export interface HttpEndpoint {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * Scripts the answers for `path` (matched without the query string). An
   * array is played in order and its last entry repeats. Replaces any earlier
   * script for the path. Unscripted paths answer 404.
   */
  respond(path: string, responses: ScriptedResponse | ScriptedResponse[]): void;
  /** Every request so far, oldest first. */
  requests: RecordedRequest[];
  /** Requests to `path` (without query string). */
  requestsTo(path: string): RecordedRequest[];
  close(): Promise<void>;
}

function pathOf(path: string): string {
  return path.split('?')[0] ?? path;
}

/**
 * Starts a scriptable HTTP endpoint on 127.0.0.1, e.g. to play an
 * application's `/health`: `respond('/health', [{status: 503}, {status: 503},
 * {status: 200, body: 'ok'}])`. Delayed answers are abandoned on `close()`.
 */
export async function startHttpEndpoint(): Promise<HttpEndpoint> {
  const scripts = new Map<string, { queue: ScriptedResponse[] }>();
  const requests: RecordedRequest[] = [];
  const abort = new AbortController();

  const http = await listen(async (req, res) => {
    const time = Date.now();
    const path = req.url ?? '/';
    const body = await readBody(req);
    requests.push({
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      time,
    });
    const script = scripts.get(pathOf(path));
    const next =
      script && script.queue.length > 1
        ? script.queue.shift()
        : script?.queue[0];
    const answer: ScriptedResponse = next ?? {
      status: 404,
      body: `no response scripted for ${pathOf(path)}`,
    };
    if (answer.delayMs) {
      try {
        await sleep(answer.delayMs, undefined, { signal: abort.signal });
      } catch {
        return; // closing
      }
    }
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...answer.headers };
    let payload = '';
    if (typeof answer.body === 'string') payload = answer.body;
    else if (answer.body !== undefined) {
      payload = JSON.stringify(answer.body);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(answer.status, headers);
    res.end(payload);
  });

  return {
    url: http.url,
    requests,
    respond(path, responses) {
      const list = Array.isArray(responses) ? [...responses] : [responses];
      if (list.length === 0) throw new Error(`respond(${path}): empty script`);
      scripts.set(pathOf(path), { queue: list });
    },
    requestsTo: (path) => requests.filter((r) => pathOf(r.path) === path),
    async close() {
      abort.abort();
      await http.close();
    },
  };
}
