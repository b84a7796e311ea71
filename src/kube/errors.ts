/**
 * Turns whatever client-node threw into one clear line: the verb and object,
 * the API server's own Status message, and the HTTP code; or, when no answer
 * came, which API server could not be reached and why.
 */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    readonly retryAfterMs?: number,
    /**
     * No HTTP answer arrived (refused, reset, timed out, TLS failure): for a
     * write, the server may or may not have applied it.
     */
    readonly connection = false,
  ) {
    super(message);
  }
}

/** A call that got no answer within the per-attempt timeout. */
export class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms (timed out)`);
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

/** Why a connection failed, by errno / undici / OpenSSL code. */
const CONNECTION_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  ETIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_SOCKET: 'the server closed the connection before answering',
  UND_ERR_CLOSED: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time (timed out)',
  UND_ERR_BODY_TIMEOUT: 'the answer stopped arriving (timed out)',
  EPROTO: 'TLS handshake failed',
  ERR_SSL_WRONG_VERSION_NUMBER:
    'TLS handshake failed (is the server really https?)',
};

/** OpenSSL / Node TLS verification codes: the server's certificate is not trusted. */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Connection failures that happen before the request reached the server. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** What describeApiError found out. */
export interface ApiErrorDescription {
  code?: number;
  reason?: string;
  /** One line. */
  message: string;
  retryAfterMs?: number;
  /** No HTTP answer: refused, reset, dropped, timed out, TLS. */
  connection: boolean;
}

/**
 * Status, reason and Retry-After from an ApiException-shaped error; for an
 * error without an HTTP answer (fetch failed, a timeout), which server could
 * not be reached (`server`, the API server URL, when known) and why.
 */
export function describeApiError(
  e: unknown,
  server?: string,
): ApiErrorDescription {
  if (e instanceof KubeError) {
    return {
      code: e.code,
      reason: e.reason,
      message: e.message,
      retryAfterMs: e.retryAfterMs,
      connection: e.connection,
    };
  }
  if (e instanceof AttemptTimeout) {
    return {
      message: `no answer from the Kubernetes API${at(server)} within ${e.ms} ms (timed out)`,
      connection: true,
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
      message: oneLine(status?.message ?? defaultMessage(any.code)),
      retryAfterMs: Number.isFinite(secs) ? secs * 1000 : undefined,
      connection: false,
    };
  }
  return describeConnectionError(e, server);
}

/** A failure without an HTTP answer, or anything else that was thrown. */
function describeConnectionError(
  e: unknown,
  server: string | undefined,
): ApiErrorDescription {
  const { code, innermost } = errnoCode(e);
  const msg = oneLine((e as { message?: string } | null)?.message ?? String(e));
  const inner = oneLine(innermost?.message ?? '');
  const where = server ?? addressOf(innermost);
  if (code !== undefined && CERT_CODES.has(code)) {
    return {
      message: `cannot reach the Kubernetes API${at(where)}: its TLS certificate is not trusted: ${inner || msg} (${code})`,
      connection: true,
    };
  }
  const why = code !== undefined ? CONNECTION_REASONS[code] : undefined;
  if (code !== undefined && why !== undefined) {
    const verb = UNREACHABLE.has(code)
      ? 'cannot reach'
      : 'lost the connection to';
    return {
      message: `${verb} the Kubernetes API${at(where)}: ${why} (${code})`,
      connection: true,
    };
  }
  const dropped =
    /fetch failed|terminated|socket hang up|other side closed|ECONNRESET|premature close|timed out/i;
  if (dropped.test(msg) || dropped.test(inner)) {
    // fetch failed without a known code: say what the innermost error said
    // ("bad port", "other side closed"), never just "fetch failed".
    const detail =
      inner && inner !== msg ? inner : msg === 'fetch failed' ? '' : msg;
    const codeSuffix = code ? ` (${code})` : '';
    return {
      message: `cannot reach the Kubernetes API${at(where)}${detail ? `: ${detail}` : ''}${codeSuffix}`,
      connection: true,
    };
  }
  return { message: code ? `${msg} (${code})` : msg, connection: false };
}

const at = (server: string | undefined) => (server ? ` at ${server}` : '');

/** The first string `code` down the `cause` chain, and the innermost error. */
interface ErrnoLike {
  message?: string;
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
}

function errnoCode(e: unknown): { code?: string; innermost?: ErrnoLike } {
  let cur: unknown = e;
  let code: string | undefined;
  let innermost: ErrnoLike | undefined;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    innermost = cur;
    if (typeof innermost.code === 'string' && code === undefined)
      code = innermost.code;
    // AggregateError (several addresses tried): its first error explains.
    const errors = (cur as { errors?: unknown }).errors;
    cur =
      (cur as { cause?: unknown }).cause ??
      (Array.isArray(errors) ? errors[0] : undefined);
  }
  return { code, innermost };
}

/** `host:port` from a Node connect error, when the server URL is not known. */
function addressOf(err: ErrnoLike | undefined): string | undefined {
  if (!err) return undefined;
  if (typeof err.address === 'string') {
    const host = err.address.includes(':') ? `[${err.address}]` : err.address;
    return typeof err.port === 'number' ? `${host}:${err.port}` : host;
  }
  return typeof err.hostname === 'string' ? err.hostname : undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
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

/**
 * Wraps an error into a KubeError whose message starts with what we did;
 * `server` (the API server URL) names the server a connection failure was to.
 */
export function toKubeError(
  what: string,
  e: unknown,
  server?: string,
): KubeError {
  if (e instanceof KubeError) return e;
  const d = describeApiError(e, server);
  const suffix =
    d.code !== undefined
      ? ` (HTTP ${d.code}${d.reason ? ` ${d.reason}` : ''})`
      : '';
  return new KubeError(
    `${what}: ${d.message}${suffix}`,
    d.code,
    d.reason,
    d.retryAfterMs,
    d.connection,
  );
}
