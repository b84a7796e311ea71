/**
 * Turns whatever client-node threw into one clear line: the verb and object,
 * the API server's own Status message, and the HTTP code.
 */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Status, reason and Retry-After from an ApiException-shaped error. */
export function describeApiError(e: unknown): {
  code?: number;
  reason?: string;
  message: string;
  retryAfterMs?: number;
  connection: boolean;
} {
  if (e instanceof KubeError) {
    return {
      code: e.code,
      reason: e.reason,
      message: e.message,
      retryAfterMs: e.retryAfterMs,
      connection: false,
    };
  }
  const any = e as {
    code?: unknown;
    body?: unknown;
    headers?: Record<string, string>;
    message?: string;
    cause?: unknown;
  };
  if (typeof any?.code === 'number' && any.code >= 100 && any.code < 600) {
    const status = parseStatus(any.body);
    const retryAfter =
      any.headers?.['retry-after'] ?? any.headers?.['Retry-After'];
    const secs = retryAfter !== undefined ? Number(retryAfter) : NaN;
    return {
      code: any.code,
      reason: status?.reason,
      message: status?.message ?? defaultMessage(any.code),
      retryAfterMs: Number.isFinite(secs) ? secs * 1000 : undefined,
      connection: false,
    };
  }
  const code = errnoCode(e);
  const msg = any?.message ?? String(e);
  const connection =
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    /fetch failed|terminated|socket hang up|other side closed|ECONNRESET|premature close|timed out/i.test(
      msg,
    );
  return { message: code ? `${msg} (${code})` : msg, connection };
}

function errnoCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (body && typeof body === 'object') return body;
  if (typeof body === 'string' && body.startsWith('{')) {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function defaultMessage(code: number): string {
  switch (code) {
    case 401:
      return 'the cluster rejected the credentials (Unauthorized)';
    case 403:
      return 'forbidden';
    case 404:
      return 'not found';
    case 429:
      return 'too many requests';
    default:
      return `HTTP ${code}`;
  }
}

/** Wraps an error into a KubeError whose message starts with what we did. */
export function toKubeError(what: string, e: unknown): KubeError {
  if (e instanceof KubeError) return e;
  const d = describeApiError(e);
  const suffix =
    d.code !== undefined
      ? ` (HTTP ${d.code}${d.reason ? ` ${d.reason}` : ''})`
      : '';
  return new KubeError(
    `${what}: ${d.message}${suffix}`,
    d.code,
    d.reason,
    d.retryAfterMs,
  );
}
