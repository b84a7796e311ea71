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

const expect = (t: Tlv | undefined, tag: number, what: string): Tlv => {
  if (t?.tag !== tag) throw new Error(`DER: ${what} missing or malformed`);
  return t;
};

/**
 * Walks Certificate -> TBSCertificate -> SubjectPublicKeyInfo and the outer
 * signatureAlgorithm. Throws a one-line Error when the structure is not a
 * certificate's.
 */
export function certificateOids(buf: Buffer): CertificateOids {
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
  const keyAlg = children(
    buf,
    expect(spki[0], TAG.SEQUENCE, 'public key AlgorithmIdentifier'),
  );
  const sigAlg = children(
    buf,
    expect(sigAlgT, TAG.SEQUENCE, 'signatureAlgorithm'),
  );
  const param = keyAlg[1];
  return {
    publicKey: decodeOid(buf, expect(keyAlg[0], TAG.OID, 'public key OID')),
    ...(param?.tag === TAG.OID
      ? { publicKeyParameter: decodeOid(buf, param) }
      : {}),
    signature: decodeOid(buf, expect(sigAlg[0], TAG.OID, 'signature OID')),
  };
}
