import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readBody } from './http-util.js';

/** A payload the receiver accepted. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  raw: string;
}

/** A Slack-style incoming-webhook receiver. */
export interface WebhookReceiver {
  /** Full hook URL; its last path segment is a secret-looking token. */
  url: string;
  /** The secret part of the URL (24 characters), to check it never leaks. */
  token: string;
  /** Accepted POSTs, oldest first. */
  received: ReceivedWebhook[];
  /** Every request to the hook path, failed ones included. */
  attempts: number;
  /** Resolves with `received` once it holds `n` payloads. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Answers the next `times` POSTs with `status` (not recorded). */
  failNext(status: number, times?: number): void;
  close(): Promise<void>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function token(length: number): string {
  return [...randomBytes(length)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/**
 * Starts a webhook receiver on 127.0.0.1 whose URL looks like a Slack hook:
 * `http://127.0.0.1:<port>/hooks/T000/B000/<24 random chars>`. POSTs there
 * answer 200 `ok` and are recorded; other paths and methods answer 404/405.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secret = token(24);
  const hookPath = `/hooks/T000/B000/${secret}`;
  const received: ReceivedWebhook[] = [];
  const failures: number[] = [];
  let attempts = 0;

  const http = await listen(async (req, res) => {
    const raw = await readBody(req);
    if ((req.url ?? '').split('?')[0] !== hookPath) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
      return;
    }
    attempts++;
    if (req.method !== 'POST') {
      res
        .writeHead(405, { 'content-type': 'text/plain' })
        .end('invalid_method');
      return;
    }
    const failure = failures.shift();
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end('failure');
      return;
    }
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    received.push({ headers: req.headers, body, raw });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });

  return {
    url: `${http.url}${hookPath}`,
    token: secret,
    received,
    get attempts() {
      return attempts;
    },
    async waitFor(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) {
          throw new Error(
            `webhook receiver: ${received.length} of ${n} payloads after ${timeoutMs} ms`,
          );
        }
        await sleep(20);
      }
      return received;
    },
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    close: () => http.close(),
  };
}
