import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byExpiry } from '../../src/certs/expiry.js';
import { inspectCertificate } from '../../src/certs/inspect.js';
import { splitPem } from '../../src/certs/pem.js';
import {
  classicalFixtures,
  mlDsaCertificate,
  type ClassicalFixtures,
} from '../helpers/x509-fixtures.js';

const run = promisify(execFile);
let dir: string;
let f: ClassicalFixtures;
let trusted: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certs-pem-'));
  f = await classicalFixtures(dir);
  trusted = (
    await run('openssl', [
      'x509',
      '-in',
      f.root.crtFile,
      '-trustout',
      '-addtrust',
      'serverAuth',
    ])
  ).stdout;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const derOf = (pem: string) => new X509Certificate(pem).raw;
const pemOf = (d: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${d.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

describe('a bundle of 300 certificates', () => {
  it('returns all 300 in order, reports the garbage block, sorts by expiry', async () => {
    const pool = [
      f.rsa.crt,
      f.ec.crt,
      f.ed25519.crt,
      f.leaf.crt,
      f.intermediate.crt,
      f.root.crt,
      f.tenDays.crt,
      pemOf(mlDsaCertificate()),
    ];
    const parts: string[] = ['# CA bundle made by the test\n'];
    for (let i = 0; i < 300; i++) {
      if (i === 150)
        parts.push(
          '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n',
        );
      if (i === 299) parts.push(f.expired.crt);
      else {
        const pem = pool[i % pool.length];
        parts.push(
          `subject=whatever ${i}\n`,
          i % 2 ? pem.replaceAll('\n', '\r\n') : pem,
        );
      }
    }
    const file = join(dir, 'bundle.pem');
    await writeFile(file, parts.join(''));
    const started = performance.now();
    const bundle = splitPem(await readFile(file, 'utf8'));
    const infos = bundle.certificates.map((c) => inspectCertificate(c.der));
    const ms = performance.now() - started;

    expect(bundle.certificates).toHaveLength(300);
    expect(bundle.problems).toEqual([
      {
        index: 150,
        line: expect.any(Number),
        message: expect.stringMatching(
          /^block 150 \(line \d+, CERTIFICATE\): invalid base64$/,
        ),
      },
    ]);
    expect(bundle.certificates.map((c) => c.index).slice(149, 152)).toEqual([
      149, 151, 152,
    ]);
    expect(bundle.certificates[0].der.equals(derOf(f.rsa.crt))).toBe(true);
    expect(byExpiry(infos)[0].subject).toBe('CN=expired.test');
    expect(infos.filter((i) => i.quantum === 'post-quantum')).toHaveLength(37);
    expect(ms).toBeLessThan(2000);
  });
});

describe('splitPem', () => {
  it('handles TRUSTED CERTIFICATE blocks: the certificate without the trust settings', () => {
    const b = splitPem(trusted);
    expect(b.problems).toEqual([]);
    expect(b.certificates).toHaveLength(1);
    expect(b.certificates[0].trusted).toBe(true);
    expect(b.certificates[0].der.equals(derOf(f.root.crt))).toBe(true);
    expect(inspectCertificate(b.certificates[0].der).subject).toBe(
      'CN=Test Root CA',
    );
  });

  it('skips other block types, counting them in the index', async () => {
    const key = await readFile(f.keys.ec, 'utf8');
    const b = splitPem(`${key}${f.ec.crt}`);
    expect(b.skipped).toEqual([{ index: 0, line: 1, label: 'PRIVATE KEY' }]);
    expect(b.certificates.map((c) => [c.index, c.trusted])).toEqual([
      [1, false],
    ]);
  });

  it('empty text and text without blocks give nothing', () => {
    expect(splitPem('')).toEqual({
      certificates: [],
      problems: [],
      skipped: [],
    });
    expect(splitPem('hello\r\nworld\r\n').certificates).toEqual([]);
  });

  const good = () => f.ec.crt;
  it.each<[string, () => string, RegExp]>([
    [
      'no END line (the next BEGIN starts the next block)',
      () => '-----BEGIN CERTIFICATE-----\nMIIB\n',
      /no END line/,
    ],
    [
      'END of another type',
      () => '-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n',
      /ends with END X509 CRL/,
    ],
    [
      'empty body',
      () => '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      /empty block/,
    ],
    [
      'bad base64',
      () => '-----BEGIN CERTIFICATE-----\nMII*B\n-----END CERTIFICATE-----\n',
      /invalid base64/,
    ],
    [
      'headers',
      () =>
        '-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nMIIB\n-----END CERTIFICATE-----\n',
      /PEM headers/,
    ],
    ['not DER', () => pemOf(Buffer.from('hello there!')), /not a DER SEQUENCE/],
    [
      'truncated DER',
      () => pemOf(derOf(good()).subarray(0, 100)),
      /claims \d+ bytes/,
    ],
    [
      'stray bytes',
      () => pemOf(Buffer.concat([derOf(good()), Buffer.from([1, 2, 3])])),
      /3 stray bytes/,
    ],
  ])('%s: a problem for that block, the next one still read', (_, bad, msg) => {
    const b = splitPem(`${bad()}${good()}`);
    expect(b.problems).toHaveLength(1);
    expect(b.problems[0].index).toBe(0);
    expect(b.problems[0].message).toMatch(msg);
    expect(b.certificates).toHaveLength(1);
    expect(b.certificates[0].der.equals(derOf(good()))).toBe(true);
  });
});
