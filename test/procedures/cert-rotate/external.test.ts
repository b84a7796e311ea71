// cert-rotate's tls-endpoints and ca-bundles against real local TLS servers
// and PEM files made with openssl (and an ML-DSA certificate made with
// Node's crypto): expiry anywhere in the chain, every bundle entry, and the
// post-quantum verdict of each.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certRotate } from '../../../src/procedures/cert-rotate/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import {
  classicalFixtures,
  mlDsaCertificate,
  type ClassicalFixtures,
  type Issued,
} from '../../helpers/x509-fixtures.js';

let dir: string;
let f: ClassicalFixtures;
let sim: KubeSim;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

function track(s: net.Server): void {
  servers.push(s);
  s.on('connection', (c: net.Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
}

async function serve(cert: Issued, ...chain: Issued[]): Promise<string> {
  const s = tls.createServer(
    {
      key: readFileSync(cert.keyFile),
      cert: [cert, ...chain].map((c) => c.crt).join(''),
    },
    (sock) => sock.end(),
  );
  s.on('tlsClientError', () => undefined);
  track(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trim()}\n-----END CERTIFICATE-----\n`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pqc-ops-test-cert-ext-'));
  f = await classicalFixtures(dir);
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
  await sim.settle();
}, 60_000);
afterAll(async () => {
  await sim?.close();
  for (const c of sockets) c.destroy();
  await Promise.all(
    servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
  );
  rmSync(dir, { recursive: true, force: true });
});

function run(inputs: Record<string, string>) {
  return runProcedure(
    certRotate,
    { kubeconfig: sim.kubeconfigPath, ...inputs },
    { ...process.env, RUNNER_TEMP: dir },
  );
}

describe('cert-rotate tls-endpoints', () => {
  it('fails the expired, the 10-day and the chain whose intermediate expires first; passes the healthy one', async () => {
    const healthy = await serve(f.rsa);
    const ten = await serve(f.tenDays);
    const expired = await serve(f.expired);
    const chain = await serve(f.leaf, f.intermediate, f.root);
    const ed = await serve(f.ed25519);
    const r = await run({
      'tls-endpoints': [healthy, ten, expired, `${chain}/leaf.test`, ed].join(
        '\n',
      ),
    });
    const check = (e: string) =>
      r.result.checks.find((c) => c.name === `tls ${e}`);
    expect(check(healthy)).toMatchObject({
      status: 'ok',
      observed: expect.stringMatching(
        /^1 certificate\(s\) served; earliest: CN=rsa\.test \(leaf\), 36[45] day\(s\) left$/,
      ),
    });
    expect(check(ten)).toMatchObject({
      status: 'failed',
      observed: expect.stringMatching(
        /CN=ten-days\.test \(leaf\), 10 day\(s\) left/,
      ),
    });
    expect(check(expired)).toMatchObject({
      status: 'failed',
      observed: expect.stringMatching(/CN=expired\.test \(leaf\), expired /),
    });
    expect(check(`${chain}/leaf.test`)).toMatchObject({
      status: 'failed',
      observed: expect.stringMatching(
        /^3 certificate\(s\) served; earliest: CN=Test Intermediate CA \(chain #1\), (29|30) day\(s\) left$/,
      ),
    });
    expect(check(ed)?.status).toBe('ok');
    expect(r.failure).toMatch(/^cert-rotate: tls 127\.0\.0\.1:\d+: /);
    expect(r.markdown).toContain('RSA 2048');
    expect(r.markdown).toContain('ECDSA P-256');
    expect(r.markdown).toContain('Ed25519');
    // every endpoint serves a classical chain
    expect(r.outputs['quantum-vulnerable']).toBe('5');
  });

  it('a closed port or a server that does not speak TLS fails that endpoint in one line', async () => {
    const plain = (await import('node:net')).createServer((s) =>
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n'),
    );
    track(plain);
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const port = (plain.address() as net.AddressInfo).port;
    const r = await run({ 'tls-endpoints': `127.0.0.1:${port}\n127.0.0.1:1` });
    const failed = r.result.checks.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.name)).toEqual([
      `tls 127.0.0.1:${port}`,
      'tls 127.0.0.1:1',
    ]);
    for (const c of failed) expect(c.observed.split('\n')).toHaveLength(1);
  });
});

describe('cert-rotate ca-bundles', () => {
  it('reads every certificate of the bundle, earliest expiry first, and flags each by algorithm', async () => {
    const file = join(dir, 'bundle.pem');
    writeFileSync(
      file,
      [
        'Trust store of the PQC audit service\n',
        f.rsa.crt,
        f.ec.crt,
        pem(mlDsaCertificate('pq-root.test')),
        f.ed25519.crt,
        f.tenDays.crt,
        f.root.crt,
      ].join(''),
    );
    const r = await run({ 'ca-bundles': file, within: '5d' });
    const c = r.result.checks.find((x) => x.name === `bundle ${file}`);
    expect(c).toMatchObject({
      status: 'ok',
      observed: expect.stringMatching(
        /^6 certificate\(s\); earliest: CN=ten-days\.test, 10 day\(s\) left$/,
      ),
    });
    expect(r.outputs['quantum-vulnerable']).toBe('5');
    const section = r.markdown.slice(r.markdown.indexOf('#### CA bundle'));
    const rows = section.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(rows.map((l) => l.split(' | ')[1])).toEqual([
      'CN=ten-days.test',
      'CN=pq-root.test',
      'CN=rsa.test',
      'CN=ec.test',
      'CN=ed25519.test',
      'CN=Test Root CA',
    ]);
    expect(rows[1]).toContain('ML-DSA-65');
    expect(rows[1]).toMatch(/\| post-quantum \|$/);
    expect(rows[0]).toContain('⚠ vulnerable');

    const strict = await run({ 'ca-bundles': file });
    expect(strict.failure).toMatch(
      /^cert-rotate: bundle .*bundle\.pem: 6 certificate\(s\); earliest: CN=ten-days\.test, 10 day\(s\) left$/,
    );
  });

  it('an expired entry fails the bundle even when it is not the first one; a garbage block is reported', async () => {
    const file = join(dir, 'mixed.pem');
    writeFileSync(
      file,
      [
        f.rsa.crt,
        '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
        f.expired.crt,
      ].join(''),
    );
    const r = await run({ 'ca-bundles': file, within: '1d' });
    const c = r.result.checks.find((x) => x.name === `bundle ${file}`);
    expect(c?.status).toBe('failed');
    expect(c?.observed).toMatch(/earliest: CN=expired\.test, expired /);
    expect(c?.detail).toMatch(/^1 unreadable block\(s\): block 1 /);
  });
});
