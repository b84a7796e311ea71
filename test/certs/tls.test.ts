import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byExpiry, daysLeft } from '../../src/certs/expiry.js';
import { inspectCertificate } from '../../src/certs/inspect.js';
import {
  formatEndpoint,
  parseEndpoint,
  readServedChain,
  type ReadChainOptions,
} from '../../src/certs/tls.js';
import { ConfigurationError } from '../../src/errors.js';
import {
  classicalFixtures,
  type ClassicalFixtures,
  type Issued,
} from '../helpers/x509-fixtures.js';

let dir: string;
let f: ClassicalFixtures;
const servers: net.Server[] = [];
const accepted = new Set<net.Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certs-tls-'));
  f = await classicalFixtures(dir);
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await Promise.all(
    servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
  );
  rmSync(dir, { recursive: true, force: true });
});

async function listen<T extends net.Server>(
  s: T,
  host = '127.0.0.1',
): Promise<number> {
  servers.push(s);
  s.on('connection', (c: net.Socket) => {
    accepted.add(c);
    c.on('close', () => accepted.delete(c));
  });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  return (s.address() as net.AddressInfo).port;
}

const ctx = (cert: Issued, ...chain: Issued[]) => ({
  key: readFileSync(cert.keyFile),
  cert: [cert, ...chain].map((c) => c.crt).join(''),
});
/** A TLS server serving `cert` and `chain`; also tracks open connections. */
function tlsServer(opts: tls.TlsOptions) {
  const open = new Set<net.Socket>();
  const server = tls.createServer(opts, (s) => s.end());
  server.on('connection', (s: net.Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('tlsClientError', () => {});
  return { server, open };
}
const serve = async (cert: Issued, ...chain: Issued[]) =>
  listen(tlsServer(ctx(cert, ...chain)).server);
const read = (port: number, more: Partial<ReadChainOptions> = {}) =>
  readServedChain({ host: '127.0.0.1', port, timeoutMs: 5000, ...more });
const subjects = (ders: Buffer[]) =>
  ders.map((d) => inspectCertificate(d).subject);

describe('readServedChain against real TLS servers', () => {
  it('reads leaf, intermediate and root in order; unverified without the root', async () => {
    const port = await serve(f.leaf, f.intermediate, f.root);
    const got = await read(port, { servername: 'leaf.test' });
    expect(subjects(got.certificates)).toEqual([
      'CN=leaf.test',
      'CN=Test Intermediate CA',
      'CN=Test Root CA',
    ]);
    expect(got.certificates[0].equals(inspectCertificate(f.leaf.crt).der)).toBe(
      true,
    );
    expect(got.verified).toBe(false);
    expect(got.verifyError).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(got.protocol).toMatch(/^TLSv1\.[23]$/);
    // The intermediate expires before the leaf it signs.
    const infos = got.certificates.map((d) => inspectCertificate(d));
    expect(byExpiry(infos)[0].subject).toBe('CN=Test Intermediate CA');
    expect(daysLeft(infos[1].notAfter, f.now)).toBe(30);
    expect(daysLeft(infos[0].notAfter, f.now)).toBe(200);
  });

  it('verifies against given trust anchors, and checks the name', async () => {
    const port = await serve(f.leaf, f.intermediate);
    const ok = await read(port, { servername: 'leaf.test', ca: f.root.crt });
    expect(ok.verified).toBe(true);
    expect(ok.verifyError).toBeUndefined();
    expect(subjects(ok.certificates).slice(0, 2)).toEqual([
      'CN=leaf.test',
      'CN=Test Intermediate CA',
    ]);
    const wrongName = await read(port, {
      servername: 'other.test',
      ca: f.root.crt,
    });
    expect(wrongName.verified).toBe(false);
    expect(wrongName.verifyError).toMatch(
      /ERR_TLS_CERT_ALTNAME_INVALID|altnames/i,
    );
  });

  it.each([
    ['rsa', 'RSA 2048', 365],
    ['ec', 'ECDSA P-256', 365],
    ['ed25519', 'Ed25519', 365],
    ['expired', 'ECDSA P-256', -1],
    ['tenDays', 'ECDSA P-256', 10],
  ] as const)(
    'self-signed %s: key %s, %i days left',
    async (k, label, days) => {
      const port = await serve(f[k]);
      const got = await read(port);
      expect(got.certificates).toHaveLength(1);
      const c = inspectCertificate(got.certificates[0]);
      expect(c.publicKey.label).toBe(label);
      expect(c.quantum).toBe('vulnerable');
      expect(daysLeft(c.notAfter, f.now)).toBe(days);
      expect(got.verified).toBe(false);
    },
  );

  it('SNI selects the certificate', async () => {
    const contexts: Record<string, tls.SecureContext> = {
      'ec.test': tls.createSecureContext(ctx(f.ec)),
      'ed25519.test': tls.createSecureContext(ctx(f.ed25519)),
    };
    const port = await listen(
      tlsServer({
        ...ctx(f.rsa),
        SNICallback: (name, cb) => cb(null, contexts[name]),
      }).server,
    );
    for (const [sni, cn] of [
      ['ec.test', 'CN=ec.test'],
      ['ed25519.test', 'CN=ed25519.test'],
      [undefined, 'CN=rsa.test'],
    ] as const) {
      const e = parseEndpoint(`127.0.0.1:${port}${sni ? `/${sni}` : ''}`);
      const got = await read(port, e);
      expect(subjects(got.certificates)).toEqual([cn]);
    }
  });

  // The machines this suite runs on (and CI's) have IPv6 loopback.
  it('connects over IPv6 with the [v6]:port form', async () => {
    const port = await listen(tlsServer(ctx(f.ec)).server, '::1');
    const got = await readServedChain({
      ...parseEndpoint(`[::1]:${port}`),
      timeoutMs: 5000,
    });
    expect(subjects(got.certificates)).toEqual(['CN=ec.test']);
  });
});

describe('readServedChain failures: one line, socket destroyed', () => {
  const oneLine = async (p: Promise<unknown>, msg: RegExp) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).not.toContain('\n');
  };
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 100 && !cond(); i++)
      await new Promise((r) => setTimeout(r, 20));
    return cond();
  };

  it('a closed port: connection refused', async () => {
    const s = net.createServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    await oneLine(
      read(port),
      new RegExp(`^127\\.0\\.0\\.1:${port}: connection refused$`),
    );
  });

  it('a plain TCP server that answers: not TLS', async () => {
    const port = await listen(
      net.createServer((s) => {
        s.once('data', () =>
          s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
        );
      }),
    );
    await oneLine(
      read(port),
      /: not TLS: the server did not answer with a TLS handshake/,
    );
  });

  it('a plain TCP server that hangs up: closed during the handshake', async () => {
    const port = await listen(net.createServer((s) => s.destroy()));
    await oneLine(read(port), /closed the connection during the TLS handshake/);
  });

  it('a silent server: timeout, and the connection is gone', async () => {
    const open = new Set<net.Socket>();
    const port = await listen(
      net.createServer((s) => {
        open.add(s);
        s.on('close', () => open.delete(s));
        s.resume(); // read the hello, so the client's FIN is seen
      }),
    );
    await oneLine(
      read(port, { timeoutMs: 200 }),
      /: no TLS handshake within 200 ms$/,
    );
    expect(await until(() => open.size === 0)).toBe(true);
  });

  it('abort mid-handshake destroys the socket; a pre-aborted signal never connects', async () => {
    let connections = 0;
    const open = new Set<net.Socket>();
    const port = await listen(
      net.createServer((s) => {
        connections++;
        open.add(s);
        s.on('close', () => open.delete(s));
        s.resume(); // read the hello, so the client's FIN is seen
      }),
    );
    const ac = new AbortController();
    const p = read(port, { signal: ac.signal, timeoutMs: 10_000 });
    await until(() => connections === 1);
    ac.abort();
    await oneLine(p, new RegExp(`^127\\.0\\.0\\.1:${port}: aborted$`));
    expect(await until(() => open.size === 0)).toBe(true);
    await oneLine(read(port, { signal: AbortSignal.abort() }), /: aborted$/);
    await new Promise((r) => setTimeout(r, 50));
    expect(connections).toBe(1);
  });

  it('after success the server sees the connection closed', async () => {
    const { server, open } = tlsServer(ctx(f.ec));
    server.removeAllListeners('secureConnection'); // keep it open from our side
    const port = await listen(server);
    await read(port);
    expect(await until(() => open.size === 0)).toBe(true);
  });
});

describe('parseEndpoint', () => {
  it.each([
    ['example.com:443', { host: 'example.com', port: 443 }],
    [' example.com:8443 ', { host: 'example.com', port: 8443 }],
    [
      '10.0.0.1:443/api.example.com',
      { host: '10.0.0.1', port: 443, servername: 'api.example.com' },
    ],
    [
      'svc.ns.svc.cluster.local:6443',
      { host: 'svc.ns.svc.cluster.local', port: 6443 },
    ],
    ['[::1]:443', { host: '::1', port: 443 }],
    [
      '[2001:db8::1]:8443/x.test',
      { host: '2001:db8::1', port: 8443, servername: 'x.test' },
    ],
  ])('%s', (text, want) => {
    expect(parseEndpoint(text)).toEqual(want);
  });

  it.each([
    ['example.com', /no port/],
    ['example.com:', /port "" is not 1-65535/],
    ['example.com:0', /port "0"/],
    ['example.com:65536', /port "65536"/],
    ['example.com:https', /port "https"/],
    [':443', /bad host/],
    ['::1:443', /put an IPv6 address in brackets/],
    ['[nope]:443', /"nope" is not an IPv6 address/],
    ['exa mple.com:443', /bad host "exa mple.com"/],
    ['example.com:443/', /SNI "" is not a DNS name/],
    ['example.com:443/10.0.0.1', /SNI "10.0.0.1" is not a DNS name/],
    ['example.com:443/a/b', /SNI "a\/b"/],
    ['https://example.com:443', /./],
  ])('%s is refused', (text, msg) => {
    let err: unknown;
    try {
      parseEndpoint(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).toContain(
      '(expected host:port, host:port/sni or [ipv6]:port)',
    );
  });

  it('formatEndpoint is its inverse', () => {
    for (const s of ['a.test:443', '[::1]:443/x.test', '10.0.0.1:8443']) {
      expect(formatEndpoint(parseEndpoint(s))).toBe(s);
    }
  });
});
