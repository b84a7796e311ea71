// Real certificates for tests: classical ones made by the openssl CLI with
// exact validity windows (`openssl ca -startdate/-enddate`, as 3.0 has no
// `x509 -not_after`), and post-quantum ones built here with a tiny DER
// encoder and signed by Node's crypto (the openssl CLI here is 3.0, without
// ML-DSA).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DAY = 86_400_000;

// ---- DER encoder (only what a TBSCertificate needs) ----

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    len = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    len.unshift(0x80 | len.length);
  }
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

function oidBytes(dotted: string): Buffer {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  const first = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  for (const arc of first) {
    const bytes = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n)
      bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

/** DER building blocks. */
export const der = {
  seq: (...items: Buffer[]) => tlv(0x30, Buffer.concat(items)),
  set: (...items: Buffer[]) => tlv(0x31, Buffer.concat(items)),
  oid: (dotted: string) => tlv(0x06, oidBytes(dotted)),
  int: (n: bigint) => {
    let hex = n.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
    return tlv(0x02, Buffer.from(hex, 'hex'));
  },
  utf8: (s: string) => tlv(0x0c, Buffer.from(s, 'utf8')),
  bool: (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0])),
  octets: (b: Buffer) => tlv(0x04, b),
  bits: (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b])),
  explicit: (n: number, body: Buffer) => tlv(0xa0 + n, body),
  time: (d: Date) => {
    const s = d
      .toISOString()
      .replace(/[-:T]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return d.getUTCFullYear() < 2050
      ? tlv(0x17, Buffer.from(s.slice(2)))
      : tlv(0x18, Buffer.from(s));
  },
};

const name = (cn: string) =>
  der.seq(der.set(der.seq(der.oid('2.5.4.3'), der.utf8(cn))));

/** A SubjectPublicKeyInfo with any algorithm OID and key bytes. */
export const spki = (algOid: string, key: Buffer) =>
  der.seq(der.seq(der.oid(algOid)), der.bits(key));

export interface BuildCert {
  subject: string;
  /** Defaults to the subject (self-issued). */
  issuer?: string;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  signatureOid: string;
  sign: (tbs: Buffer) => Buffer;
  ca?: boolean;
  dns?: string[];
}

/** DER X.509 v3 certificate, TBSCertificate signed by `sign`. */
export function buildCertificate(o: BuildCert): Buffer {
  const alg = der.seq(der.oid(o.signatureOid));
  const exts = [
    der.seq(
      der.oid('2.5.29.19'),
      der.bool(true),
      der.octets(o.ca ? der.seq(der.bool(true)) : der.seq()),
    ),
  ];
  if (o.dns?.length)
    exts.push(
      der.seq(
        der.oid('2.5.29.17'),
        der.octets(der.seq(...o.dns.map((d) => tlv(0x82, Buffer.from(d))))),
      ),
    );
  const tbs = der.seq(
    der.explicit(0, der.int(2n)),
    der.int(BigInt(`0x${crypto.randomBytes(8).toString('hex')}`)),
    alg,
    name(o.issuer ?? o.subject),
    der.seq(der.time(o.notBefore), der.time(o.notAfter)),
    name(o.subject),
    o.spki,
    der.explicit(3, der.seq(...exts)),
  );
  return der.seq(tbs, alg, der.bits(o.sign(tbs)));
}

// ---- post-quantum fixtures (keys generated once per process) ----

export const OID = {
  mlDsa65: '2.16.840.1.101.3.4.3.18',
  slhDsaSha2_128f: '2.16.840.1.101.3.4.3.21',
  /** id-MLDSA65-ECDSA-P256-SHA512 (draft-ietf-lamps-pq-composite-sigs). */
  compositeMlDsa65P256: '1.3.6.1.5.5.7.6.45',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
};

let keys:
  Record<'mlDsa' | 'slhDsa' | 'ec', crypto.KeyPairKeyObjectResult> | undefined;
const pq = () =>
  (keys ??= {
    mlDsa: crypto.generateKeyPairSync('ml-dsa-65'),
    slhDsa: crypto.generateKeyPairSync('slh-dsa-sha2-128f'),
    ec: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  });
const spkiOf = (k: crypto.KeyObject) =>
  k.export({ type: 'spki', format: 'der' });
// The raw public key: the BIT STRING's contents at the end of the SPKI.
const rawOf = (k: crypto.KeyObject, len: number) => spkiOf(k).subarray(-len);

const window = (now = Date.now()) => ({
  notBefore: new Date(now - DAY),
  notAfter: new Date(now + 90 * DAY),
});

/** Self-signed ML-DSA-65 certificate: key and signature post-quantum. */
export function mlDsaCertificate(cn = 'ml-dsa.test'): Buffer {
  const { mlDsa } = pq();
  return buildCertificate({
    subject: cn,
    ...window(),
    dns: [cn],
    spki: spkiOf(mlDsa.publicKey),
    signatureOid: OID.mlDsa65,
    sign: (tbs) => crypto.sign(null, tbs, mlDsa.privateKey),
  });
}

/** SLH-DSA-SHA2-128f key signed by the ML-DSA-65 "CA". */
export function slhDsaCertificate(): Buffer {
  const { mlDsa, slhDsa } = pq();
  return buildCertificate({
    subject: 'slh-dsa.test',
    issuer: 'ml-dsa.test',
    ...window(),
    spki: spkiOf(slhDsa.publicKey),
    signatureOid: OID.mlDsa65,
    sign: (tbs) => crypto.sign(null, tbs, mlDsa.privateKey),
  });
}

/**
 * A composite ML-DSA-65 + ECDSA P-256 key and signature. The bytes are
 * shaped like the draft's (ML-DSA part then the classical part) but the
 * signature is not the draft's exact construction: tests inspect, never verify.
 */
export function compositeCertificate(): Buffer {
  const { mlDsa, ec } = pq();
  const key = Buffer.concat([
    rawOf(mlDsa.publicKey, 1952),
    rawOf(ec.publicKey, 65),
  ]);
  return buildCertificate({
    subject: 'composite.test',
    ...window(),
    spki: spki(OID.compositeMlDsa65P256, key),
    signatureOid: OID.compositeMlDsa65P256,
    sign: (tbs) =>
      Buffer.concat([
        crypto.sign(null, tbs, mlDsa.privateKey),
        crypto.sign('sha512', tbs, ec.privateKey),
      ]),
  });
}

/** An ML-DSA-65 key certified by a classical ECDSA P-256 signature. */
export function classicalOverPqCertificate(): Buffer {
  const { mlDsa, ec } = pq();
  return buildCertificate({
    subject: 'pq-key.test',
    issuer: 'classical-ca.test',
    ...window(),
    spki: spkiOf(mlDsa.publicKey),
    signatureOid: OID.ecdsaWithSha256,
    sign: (tbs) => crypto.sign('sha256', tbs, ec.privateKey),
  });
}

/** Key and signature under OIDs nobody knows. */
export function unknownAlgorithmCertificate(
  keyOid = '1.3.6.1.4.1.99999.1',
  sigOid = '1.3.6.1.4.1.99999.2',
): Buffer {
  return buildCertificate({
    subject: 'unknown.test',
    ...window(),
    spki: spki(keyOid, crypto.randomBytes(64)),
    signatureOid: sigOid,
    sign: () => crypto.randomBytes(64),
  });
}

// ---- classical fixtures from the openssl CLI ----

export type KeyKind = 'rsa' | 'ec' | 'ed25519';

/** A private key file made by `openssl genpkey` (reuse it: RSA is slow). */
export async function opensslKey(dir: string, kind: KeyKind): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${crypto.randomUUID()}.key`);
  const alg =
    kind === 'rsa'
      ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
      : kind === 'ec'
        ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
        : ['-algorithm', 'ED25519'];
  await run('openssl', ['genpkey', ...alg, '-out', file]);
  return file;
}

export interface Issued {
  /** PEM. */
  crt: string;
  crtFile: string;
  keyFile: string;
}

export interface OpensslCert {
  dir: string;
  cn: string;
  keyFile: string;
  notBefore: Date;
  notAfter: Date;
  /** Signs with this certificate and key; self-signed when absent. */
  issuer?: Issued;
  ca?: boolean;
  dns?: string[];
}

// openssl ca takes YYMMDDHHMMSSZ (or the four-digit year form).
const caTime = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .slice(d.getUTCFullYear() < 2050 ? 2 : 0);

/** A certificate with an exact validity window, made by `openssl ca`. */
export async function opensslCert(o: OpensslCert): Promise<Issued> {
  const dir = path.join(o.dir, crypto.randomUUID());
  await fs.mkdir(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const serial = crypto.randomBytes(8).toString('hex');
  await fs.writeFile(f('index.txt'), '');
  await fs.writeFile(f('serial'), `${serial}\n`);
  const ext = o.ca
    ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign'
    : 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth';
  const san = o.dns?.length
    ? `\nsubjectAltName=${o.dns.map((d) => `DNS:${d}`).join(',')}`
    : '';
  await fs.writeFile(
    f('ca.cnf'),
    `[ca]\ndefault_ca=t\n[t]\ndir=${dir}\ndatabase=$dir/index.txt\nserial=$dir/serial\nnew_certs_dir=$dir\ndefault_md=default\npolicy=any\nunique_subject=no\ncopy_extensions=none\n[any]\ncommonName=supplied\n[ext]\n${ext}${san}\n`,
  );
  await run('openssl', [
    ...['req', '-new', '-key', o.keyFile, '-subj', `/CN=${o.cn}`],
    ...['-out', f('csr')],
  ]);
  await run('openssl', [
    ...['ca', '-batch', '-notext', '-config', f('ca.cnf'), '-in', f('csr')],
    ...['-extensions', 'ext', '-out', f('crt')],
    ...['-startdate', caTime(o.notBefore), '-enddate', caTime(o.notAfter)],
    ...(o.issuer
      ? ['-cert', o.issuer.crtFile, '-keyfile', o.issuer.keyFile]
      : ['-selfsign', '-keyfile', o.keyFile]),
  ]);
  return {
    crt: await fs.readFile(f('crt'), 'utf8'),
    crtFile: f('crt'),
    keyFile: o.keyFile,
  };
}

/** The classical set the cert tests (and cert-rotate's) need. */
export interface ClassicalFixtures {
  /** The instant the windows are relative to (whole seconds, as X.509 keeps). */
  now: Date;
  keys: Record<KeyKind, string>;
  /** Self-signed, a year left, SAN = `<kind>.test`. */
  rsa: Issued;
  ec: Issued;
  ed25519: Issued;
  /** Expired yesterday (EC). */
  expired: Issued;
  /** 10 days and 1 hour left (EC). */
  tenDays: Issued;
  /** root (10 years) -> intermediate (30 days) -> leaf (200 days, `leaf.test`, RSA). */
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
}

/** Makes the classical set with openssl in `dir` (about a second). */
export async function classicalFixtures(
  dir: string,
  nowMs = Date.now(),
): Promise<ClassicalFixtures> {
  const now = Math.floor(nowMs / 1000) * 1000;
  const [rsa, ec, ed25519] = await Promise.all(
    (['rsa', 'ec', 'ed25519'] as const).map((k) => opensslKey(dir, k)),
  );
  const keys = { rsa: rsa, ec: ec, ed25519: ed25519 };
  const at = (days: number) => new Date(now + days * DAY);
  const self = (kind: KeyKind, cn: string, from: number, to: number) =>
    opensslCert({
      dir,
      cn,
      dns: [cn],
      keyFile: keys[kind],
      notBefore: at(from),
      notAfter: at(to),
    });
  const [rsaC, ecC, edC, expired, tenDays, root] = await Promise.all([
    self('rsa', 'rsa.test', -1, 365),
    self('ec', 'ec.test', -1, 365),
    self('ed25519', 'ed25519.test', -1, 365),
    self('ec', 'expired.test', -30, -1),
    self('ec', 'ten-days.test', -1, 10 + 1 / 24),
    opensslCert({
      dir,
      cn: 'Test Root CA',
      keyFile: keys.ec,
      notBefore: at(-1),
      notAfter: at(3650),
      ca: true,
    }),
  ]);
  const intermediate = await opensslCert({
    dir,
    cn: 'Test Intermediate CA',
    keyFile: keys.ed25519,
    notBefore: at(-1),
    notAfter: at(30),
    ca: true,
    issuer: root,
  });
  const leaf = await opensslCert({
    dir,
    cn: 'leaf.test',
    dns: ['leaf.test', 'www.leaf.test'],
    keyFile: keys.rsa,
    notBefore: at(-1),
    notAfter: at(200),
    issuer: intermediate,
  });
  return {
    now: new Date(now),
    keys,
    rsa: rsaC,
    ec: ecC,
    ed25519: edC,
    expired,
    tenDays,
    root,
    intermediate,
    leaf,
  };
}
