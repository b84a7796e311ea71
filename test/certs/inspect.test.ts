import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCertificate } from '../../src/certs/inspect.js';
import {
  buildCertificate,
  classicalFixtures,
  classicalOverPqCertificate,
  compositeCertificate,
  der,
  DAY,
  mlDsaCertificate,
  OID,
  slhDsaCertificate,
  spki,
  unknownAlgorithmCertificate,
  type ClassicalFixtures,
} from '../helpers/x509-fixtures.js';

let dir: string;
let f: ClassicalFixtures;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certs-inspect-'));
  f = await classicalFixtures(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const toDer = (pem: string) => new X509Certificate(pem).raw;

describe('classical certificates made by openssl', () => {
  it.each([
    [
      'rsa',
      'RSA',
      '1.2.840.113549.1.1.1',
      '2048',
      'RSA 2048',
      'sha256WithRSAEncryption',
      '1.2.840.113549.1.1.11',
    ],
    [
      'ec',
      'ECDSA',
      '1.2.840.10045.2.1',
      'P-256',
      'ECDSA P-256',
      'ecdsa-with-SHA256',
      '1.2.840.10045.4.3.2',
    ],
    [
      'ed25519',
      'Ed25519',
      '1.3.101.112',
      'Ed25519',
      'Ed25519',
      'Ed25519',
      '1.3.101.112',
    ],
  ] as const)('%s', (k, name, oid, size, label, sigLabel, sigOid) => {
    const c = inspectCertificate(f[k].crt);
    expect(c.publicKey).toMatchObject({
      name,
      oid,
      size,
      label,
      kind: 'classical',
    });
    expect(c.signature).toMatchObject({
      label: sigLabel,
      oid: sigOid,
      kind: 'classical',
    });
    expect(c.quantum).toBe('vulnerable');
    expect(c.quantumReason).toBe(
      `key ${label} and signature ${sigLabel} are classical`,
    );
    expect(c.subject).toBe(`CN=${k}.test`);
    expect(c.issuer).toBe(c.subject);
    expect(c.subjectAltNames).toEqual([`DNS:${k}.test`]);
    expect(c.isCA).toBe(false);
    expect(c.notBefore).toEqual(new Date(f.now.getTime() - DAY));
    expect(c.notAfter).toEqual(new Date(f.now.getTime() + 365 * DAY));
    expect(c.serialNumber).toMatch(/^[0-9A-F]+$/);
  });

  it('RSA has the modulus length in bits', () => {
    expect(inspectCertificate(f.rsa.crt).publicKey.bits).toBe(2048);
  });

  it('reads the chain: CA flags, issuers, names', () => {
    const [leaf, mid, root] = [f.leaf, f.intermediate, f.root].map((c) =>
      inspectCertificate(c.crt),
    );
    expect(root).toMatchObject({
      isCA: true,
      subject: 'CN=Test Root CA',
      issuer: 'CN=Test Root CA',
    });
    expect(mid).toMatchObject({ isCA: true, issuer: 'CN=Test Root CA' });
    expect(mid.publicKey.label).toBe('Ed25519');
    expect(mid.signature.label).toBe('ecdsa-with-SHA256');
    expect(leaf).toMatchObject({
      isCA: false,
      issuer: 'CN=Test Intermediate CA',
    });
    expect(leaf.subjectAltNames).toEqual([
      'DNS:leaf.test',
      'DNS:www.leaf.test',
    ]);
    expect(leaf.signature.label).toBe('Ed25519');
    expect(mid.notAfter.getTime()).toBeLessThan(leaf.notAfter.getTime());
  });

  it('takes DER, PEM text and PEM bytes alike; the first block of a chain', () => {
    const derBytes = toDer(f.leaf.crt);
    const fp = createHash('sha256')
      .update(derBytes)
      .digest('hex')
      .toUpperCase();
    const chainPem = f.leaf.crt + f.intermediate.crt;
    for (const input of [
      Buffer.from(
        `# a comment longer than sixty-four characters, before the block\n${f.leaf.crt}`,
      ),
      derBytes,
      f.leaf.crt,
      Buffer.from(chainPem),
      chainPem,
    ]) {
      const c = inspectCertificate(input);
      expect(c.fingerprint256.replaceAll(':', '')).toBe(fp);
      expect(c.der.equals(derBytes)).toBe(true);
    }
  });
});

describe('post-quantum certificates built with Node crypto', () => {
  it('ML-DSA-65 key and signature: post-quantum', () => {
    const c = inspectCertificate(mlDsaCertificate());
    expect(c.publicKey).toMatchObject({
      name: 'ML-DSA',
      oid: OID.mlDsa65,
      size: 'ML-DSA-65',
      kind: 'post-quantum',
    });
    expect(c.signature).toMatchObject({
      name: 'ML-DSA',
      oid: OID.mlDsa65,
      label: 'ML-DSA-65',
    });
    expect(c.quantum).toBe('post-quantum');
    expect(c.quantumReason).toBe(
      'key ML-DSA-65 and signature ML-DSA-65 are post-quantum',
    );
    expect(c.subjectAltNames).toEqual(['DNS:ml-dsa.test']);
  });

  it('the ML-DSA certificate verifies with its own key (it is real)', () => {
    const x = new X509Certificate(mlDsaCertificate());
    expect(x.verify(x.publicKey)).toBe(true);
  });

  it('SLH-DSA key under an ML-DSA signature: post-quantum, variant named', () => {
    const c = inspectCertificate(slhDsaCertificate());
    expect(c.publicKey).toMatchObject({
      name: 'SLH-DSA',
      oid: OID.slhDsaSha2_128f,
      size: 'SLH-DSA-SHA2-128f',
    });
    expect(c.quantum).toBe('post-quantum');
  });

  it('composite ML-DSA + ECDSA: hybrid, though OpenSSL cannot read the key', () => {
    const c = inspectCertificate(compositeCertificate());
    expect(c.publicKey).toMatchObject({
      name: 'Composite ML-DSA',
      oid: OID.compositeMlDsa65P256,
      size: 'MLDSA65-ECDSA-P256-SHA512',
      kind: 'composite',
    });
    expect(c.signature.kind).toBe('composite');
    expect(c.quantum).toBe('hybrid');
    expect(c.quantumReason).toMatch(/composite/);
  });

  it('an early-draft composite OID is hybrid too', () => {
    const old = '2.16.840.1.114027.80.8.1.3';
    const c = inspectCertificate(unknownAlgorithmCertificate(old, old));
    expect(c.quantum).toBe('hybrid');
    expect(c.publicKey.oid).toBe(old);
  });

  it('a classical signature over an ML-DSA key is vulnerable, naming the signature', () => {
    const c = inspectCertificate(classicalOverPqCertificate());
    expect(c.publicKey.kind).toBe('post-quantum');
    expect(c.signature).toMatchObject({
      label: 'ecdsa-with-SHA256',
      kind: 'classical',
    });
    expect(c.quantum).toBe('vulnerable');
    expect(c.quantumReason).toBe(
      'signature ecdsa-with-SHA256 is classical over post-quantum key ML-DSA-65',
    );
  });

  it('unknown OIDs: quantum unknown with the OIDs in the reason, no crash', () => {
    const c = inspectCertificate(unknownAlgorithmCertificate());
    expect(c.quantum).toBe('unknown');
    expect(c.quantumReason).toBe(
      'unrecognised algorithm: key OID 1.3.6.1.4.1.99999.1, signature OID 1.3.6.1.4.1.99999.2',
    );
    expect(c.publicKey).toMatchObject({
      name: '1.3.6.1.4.1.99999.1',
      kind: 'unknown',
    });
    expect(c.publicKey.size).toBeUndefined();
    expect(c.subject).toBe('CN=unknown.test');
  });

  it('an unknown key under a classical signature is still vulnerable', () => {
    const c = inspectCertificate(
      unknownAlgorithmCertificate('1.3.6.1.4.1.99999.1', OID.ecdsaWithSha256),
    );
    expect(c.quantum).toBe('vulnerable');
    expect(c.quantumReason).toMatch(
      /^signature ecdsa-with-SHA256 is classical over unrecognised/,
    );
  });
});

describe('input that is not a certificate', () => {
  const good = () => toDer(f.ec.crt);
  const notCert = der.seq(der.int(1n), der.int(2n));
  const noSpki = buildCertificate({
    subject: 'x',
    notBefore: new Date(),
    notAfter: new Date(),
    spki: der.int(5n),
    signatureOid: OID.ecdsaWithSha256,
    sign: () => Buffer.alloc(8),
  });
  it.each<[string, () => Buffer | string, RegExp]>([
    [
      'empty',
      () => Buffer.alloc(0),
      /^not a readable X.509 certificate: neither DER \(a SEQUENCE\) nor PEM$/,
    ],
    [
      'random bytes',
      () => Buffer.from('hello world, not DER'),
      /neither DER \(a SEQUENCE\) nor PEM$/,
    ],
    [
      'a lone SEQUENCE header',
      () => Buffer.from([0x30]),
      /^not a readable X.509 certificate: DER truncated at byte 0$/,
    ],
    [
      'truncated',
      () => good().subarray(0, 200),
      /claims \d+ bytes, only \d+ remain/,
    ],
    [
      'trailing bytes',
      () => Buffer.concat([good(), Buffer.from([0, 0])]),
      /2 stray bytes/,
    ],
    [
      'a SEQUENCE of integers',
      () => notCert,
      /TBSCertificate missing or malformed/,
    ],
    [
      'no SubjectPublicKeyInfo',
      () => noSpki,
      /SubjectPublicKeyInfo missing or malformed/,
    ],
    [
      'PEM text without a block',
      () => 'just text',
      /^no PEM CERTIFICATE block found$/,
    ],
    [
      'PEM with bad base64',
      () => '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n',
      /^not a readable PEM certificate: block 0 \(line 1, CERTIFICATE\): invalid base64$/,
    ],
    [
      'valid DER structure, bad contents',
      () =>
        buildCertificate({
          subject: 'x',
          notBefore: new Date(),
          notAfter: new Date(),
          spki: spki('1.2.3', Buffer.alloc(1)),
          signatureOid: '1.2.3',
          sign: () => Buffer.alloc(1),
        }).fill(0xff, 20, 30),
      /^not a readable X.509 certificate/,
    ],
  ])('%s: one-line error', (_, input, msg) => {
    let err: unknown;
    try {
      inspectCertificate(input());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).not.toContain('\n');
  });
});
