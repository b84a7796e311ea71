import net from 'node:net';
import tls from 'node:tls';
import { ConfigurationError } from '../errors.js';
import { timerMs } from '../process/timer.js';

/** A TLS endpoint to inspect. */
export interface Endpoint {
  host: string;
  port: number;
  /** SNI; by default the host when it is a name (never an IP address). */
  servername?: string;
}

export interface ReadChainOptions extends Endpoint {
  /** Connect and handshake together must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trust anchors for `verified`; Node's default CA store when absent. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** The chain a server presents, as served: nothing is trusted. */
export interface ServedChain {
  /** DER, leaf first, then each issuer as the chain links them. */
  certificates: Buffer[];
  /** The chain verified against the trust anchors and matched the name. */
  verified: boolean;
  /** Why not, in OpenSSL's words (`SELF_SIGNED_CERT_IN_CHAIN`...). */
  verifyError?: string;
  /** `TLSv1.3`... */
  protocol: string | null;
}

const FORM = 'host:port, host:port/sni or [ipv6]:port';
const HOST = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/;

/**
 * Parses `host:port`, `host:port/sni` or `[v6]:port` (and `[v6]:port/sni`).
 * Throws a ConfigurationError naming the accepted form.
 */
export function parseEndpoint(text: string): Endpoint {
  const s = text.trim();
  const bad = (why: string) =>
    new ConfigurationError(
      `invalid TLS endpoint "${text}": ${why} (expected ${FORM})`,
    );
  const m = /^(?:\[([^\]]*)\]|([^:/[\]]*)):([^/]*)(?:\/(.*))?$/.exec(s);
  if (!m) throw bad('no port');
  const [, v6, name, portText, sni] = m;
  const host = v6 ?? name;
  if (v6 !== undefined && !net.isIPv6(v6))
    throw bad(`"${v6}" is not an IPv6 address`);
  if (v6 === undefined && !HOST.test(host))
    throw bad(
      host.includes(':') || host === ''
        ? 'bad host (put an IPv6 address in brackets)'
        : `bad host "${host}"`,
    );
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
    throw bad(`port "${portText}" is not 1-65535`);
  if (sni === undefined) return { host, port };
  if (!HOST.test(sni) || net.isIP(sni) !== 0)
    throw bad(`SNI "${sni}" is not a DNS name`);
  return { host, port, servername: sni };
}

/** `host:port` or `[v6]:port`, with `/sni` when one is set. */
export function formatEndpoint(e: Endpoint): string {
  const host = net.isIPv6(e.host) ? `[${e.host}]` : e.host;
  return `${host}:${e.port}${e.servername ? `/${e.servername}` : ''}`;
}

/**
 * Connects without trusting (rejectUnauthorized off: we inspect, not trust)
 * and returns the whole chain the server presents, and whether it verified.
 * Rejects with one line naming the endpoint for a refused connection, a
 * timeout, a peer that does not speak TLS, or an abort. The socket is
 * always destroyed.
 */
export function readServedChain(o: ReadChainOptions): Promise<ServedChain> {
  const where = formatEndpoint(o);
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new Error(`${where}: aborted`));
      return;
    }
    const servername =
      o.servername ?? (net.isIP(o.host) === 0 ? o.host : undefined);
    const socket = tls.connect({
      host: o.host,
      port: o.port,
      ...(servername ? { servername } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      rejectUnauthorized: false,
    });
    let settled = false;
    const settle = (err: Error | undefined, value?: ServedChain) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const fail = (why: string) => settle(new Error(`${where}: ${why}`));
    const onAbort = () => fail('aborted');
    const timer = setTimeout(
      () => fail(`no TLS handshake within ${o.timeoutMs} ms`),
      timerMs(o.timeoutMs),
    );
    o.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e: Error) => fail(describeError(e)));
    socket.once('close', () =>
      fail('the connection closed before the TLS handshake finished'),
    );
    socket.once('secureConnect', () => {
      const certificates = servedChain(socket);
      if (certificates.length === 0)
        return fail('the server presented no certificate');
      // Typed as an Error, but Node sets OpenSSL's code (a string).
      const why: unknown = socket.authorizationError;
      const verifyError =
        typeof why === 'string'
          ? why
          : why instanceof Error
            ? why.message
            : undefined;
      settle(undefined, {
        certificates,
        verified: socket.authorized,
        ...(socket.authorized || !verifyError ? {} : { verifyError }),
        protocol: socket.getProtocol(),
      });
    });
  });
}

// Leaf, then issuerCertificate links until the self-signed root points at
// itself or a certificate repeats.
function servedChain(socket: tls.TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined =
    socket.getPeerCertificate(true);
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(Buffer.from(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

const NOT_TLS =
  /wrong version number|packet length too long|http request|unknown protocol|record layer failure/i;

function describeError(e: Error & { code?: string }): string {
  const msg = e.message.split('\n')[0];
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${e.code})`;
    case 'ECONNRESET':
      return 'the server closed the connection during the TLS handshake (not TLS, or it refused our hello)';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `unreachable (${e.code})`;
  }
  if (NOT_TLS.test(msg))
    return `not TLS: the server did not answer with a TLS handshake (${msg.replace(/^.*:/, '')})`;
  if (e.code?.startsWith('ERR_SSL_'))
    return `TLS handshake failed: ${msg.replace(/^.*:/, '')}`;
  return e.code ? `${e.code}: ${msg}` : msg;
}
