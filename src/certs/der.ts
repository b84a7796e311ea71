// Just enough DER reading to find the algorithm OIDs of a certificate
// without asking OpenSSL, which refuses keys it does not know. Everything
// else comes from Node's X509Certificate.

/** One DER element: its tag and where its contents lie in the buffer. */
export interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  /** Offset just past the contents. */
  end: number;
}

export const TAG = { SEQUENCE: 0x30, OID: 0x06, BIT_STRING: 0x03 } as const;

/** Reads the element at `offset`; throws on truncation or indefinite length. */
export function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new Error(`DER truncated at byte ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f)
    throw new Error(`DER multi-byte tag at byte ${offset}`);
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4)
      throw new Error(`DER bad length encoding at byte ${offset}`);
    if (start + n > limit) throw new Error(`DER truncated at byte ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  const end = start + len;
  if (end > limit)
    throw new Error(
      `DER element at byte ${offset} claims ${len} bytes, only ${limit - start} remain`,
    );
  return { tag, start, end };
}

/** The elements directly inside a constructed element. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function decodeOid(buf: Buffer, t: Tlv): string {
  if (t.tag !== TAG.OID) throw new Error('DER: expected an OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i];
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0) throw new Error('DER: empty OBJECT IDENTIFIER');
  const first = arcs[0];
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The two algorithm OIDs of a certificate and its SPKI parameters OID. */
export interface CertificateOids {
  /** SubjectPublicKeyInfo algorithm. */
  publicKey: string;
  /** The algorithm's parameters when they are an OID (an EC named curve). */
  publicKeyParameter?: string;
  /** The outer signatureAlgorithm. */
  signature: string;
}

/** What the DER walk reads: the OIDs, the validity, and an RSA key's size. */
export interface CertificateFields extends CertificateOids {
  notBefore: Date;
  notAfter: Date;
  /** Bits of the RSA modulus, when the key is RSA and its encoding reads. */
  rsaBits?: number;
}

const expect = (t: Tlv | undefined, tag: number, what: string): Tlv => {
  if (t?.tag !== tag) throw new Error(`DER: ${what} missing or malformed`);
  return t;
};

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/**
 * Walks Certificate -> TBSCertificate -> Validity and SubjectPublicKeyInfo
 * and the outer signatureAlgorithm. Throws a one-line Error when the
 * structure is not a certificate's.
 */
export function certificateFields(buf: Buffer): CertificateFields {
  const cert = expect(readTlv(buf, 0), TAG.SEQUENCE, 'Certificate');
  if (cert.end !== buf.length)
    throw new Error(
      `DER: ${buf.length - cert.end} stray bytes after the certificate`,
    );
  const [tbsT, sigAlgT] = children(buf, cert);
  const tbs = children(buf, expect(tbsT, TAG.SEQUENCE, 'TBSCertificate'));
  // version [0] is optional; then serial, signature, issuer, validity, subject, spki
  const spkiAt = tbs[0]?.tag === 0xa0 ? 6 : 5;
  const spki = children(
    buf,
    expect(tbs[spkiAt], TAG.SEQUENCE, 'SubjectPublicKeyInfo'),
  );
  const validity = children(
    buf,
    expect(tbs[spkiAt - 2], TAG.SEQUENCE, 'Validity'),
  );
  const keyAlg = children(
    buf,
    expect(spki[0], TAG.SEQUENCE, 'public key AlgorithmIdentifier'),
  );
  const sigAlg = children(
    buf,
    expect(sigAlgT, TAG.SEQUENCE, 'signatureAlgorithm'),
  );
  const param = keyAlg[1];
  const publicKey = decodeOid(
    buf,
    expect(keyAlg[0], TAG.OID, 'public key OID'),
  );
  const rsaBits =
    publicKey === RSA_ENCRYPTION ? modulusBits(buf, spki[1]) : undefined;
  return {
    publicKey,
    ...(param?.tag === TAG.OID
      ? { publicKeyParameter: decodeOid(buf, param) }
      : {}),
    signature: decodeOid(buf, expect(sigAlg[0], TAG.OID, 'signature OID')),
    notBefore: decodeTime(buf, validity[0], 'notBefore'),
    notAfter: decodeTime(buf, validity[1], 'notAfter'),
    ...(rsaBits !== undefined ? { rsaBits } : {}),
  };
}

/** The algorithm OIDs only (see certificateFields). */
export function certificateOids(buf: Buffer): CertificateOids {
  const { publicKey, publicKeyParameter, signature } = certificateFields(buf);
  return {
    publicKey,
    ...(publicKeyParameter !== undefined ? { publicKeyParameter } : {}),
    signature,
  };
}

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function decodeTime(buf: Buffer, t: Tlv | undefined, what: string): Date {
  const text = t ? buf.toString('latin1', t.start, t.end) : '';
  const m =
    t?.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : t?.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!m) throw new Error(`DER: ${what} is not a UTCTime or GeneralizedTime`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const year = t?.tag === 0x17 ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

/** Bit length of an RSA modulus in a SubjectPublicKey BIT STRING. */
function modulusBits(buf: Buffer, key: Tlv | undefined): number | undefined {
  try {
    if (key?.tag !== TAG.BIT_STRING) return undefined;
    const seq = readTlv(buf, key.start + 1, key.end);
    const n = children(buf, seq)[0];
    if (n?.tag !== 0x02) return undefined;
    let i = n.start;
    while (i < n.end && buf[i] === 0) i++;
    if (i === n.end) return 0;
    return (n.end - i - 1) * 8 + (32 - Math.clz32(buf[i]));
  } catch {
    return undefined;
  }
}
