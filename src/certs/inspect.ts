import { X509Certificate } from 'node:crypto';
import {
  CURVES,
  lookupAlgorithm,
  quantumVerdict,
  type AlgorithmKind,
  type QuantumStatus,
} from './algorithms.js';
import { certificateFields, type CertificateFields } from './der.js';
import { splitPem } from './pem.js';

export type { AlgorithmKind, QuantumStatus } from './algorithms.js';

/** An algorithm as a certificate names it. */
export interface AlgorithmInfo {
  /** Family (`RSA`, `ECDSA`, `ML-DSA`...), or the OID when unrecognised. */
  name: string;
  oid: string;
  kind: AlgorithmKind | 'unknown';
}

/** The subject's public key. */
export interface PublicKeyInfo extends AlgorithmInfo {
  /**
   * The size or parameter set: `2048` (RSA modulus bits), `P-256` (EC curve),
   * `Ed25519`, `ML-DSA-65`, `SLH-DSA-SHA2-128f`, `MLDSA65-ECDSA-P256-SHA512`;
   * undefined when it cannot be read.
   */
  size?: string;
  /** RSA and DSA: the modulus length in bits. */
  bits?: number;
  /** For tables: `RSA 2048`, `ECDSA P-256`, `ML-DSA-65`. */
  label: string;
}

/** The issuer's signature over the certificate. */
export interface SignatureInfo extends AlgorithmInfo {
  /** Precise name: `sha256WithRSAEncryption`, `ML-DSA-65`; the OID when unknown. */
  label: string;
}

/** What a certificate says about itself, and its post-quantum readiness. */
export interface CertInfo {
  /** One line, RDNs in certificate order: `CN=a, O=b`. */
  subject: string;
  issuer: string;
  /** Hex, upper case, as openssl prints it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** `DNS:a.example`, `IP Address:10.0.0.1`... */
  subjectAltNames: string[];
  /** SHA-256 of the DER, colon-separated hex. */
  fingerprint256: string;
  publicKey: PublicKeyInfo;
  signature: SignatureInfo;
  quantum: QuantumStatus;
  /** One line saying which part decided `quantum`. */
  quantumReason: string;
  der: Buffer;
}

/**
 * Inspects one certificate: DER bytes, or PEM text (as a string or a
 * buffer; the first CERTIFICATE block is used, as with a Secret's `tls.crt`
 * whose leaf comes first). Unknown algorithms give `quantum: 'unknown'`;
 * bytes that are not a certificate throw an Error with one line.
 */
export function inspectCertificate(input: Buffer | string): CertInfo {
  const der = toDer(input);
  let f: CertificateFields;
  try {
    f = certificateFields(der);
  } catch (e) {
    throw new Error(`not a readable X.509 certificate: ${reason(e)}`, {
      cause: e,
    });
  }
  // OpenSSL's view is built only when a field needs it (names, serial,
  // fingerprint, a key size the DER walk does not give): a scan of ten
  // thousand Secrets needs expiry and algorithms only.
  let parsed: X509Certificate | undefined;
  const x = (): X509Certificate => {
    try {
      return (parsed ??= new X509Certificate(der));
    } catch (e) {
      throw new Error(`not a readable X.509 certificate: ${reason(e)}`, {
        cause: e,
      });
    }
  };
  const publicKey = keyInfo(x, f);
  const signature = signatureInfo(x, f.signature);
  const verdict = quantumVerdict(publicKey, signature);
  return {
    get subject() {
      return oneLine(x().subject);
    },
    get issuer() {
      return oneLine(x().issuer);
    },
    get serialNumber() {
      return x().serialNumber.toUpperCase();
    },
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    get isCA() {
      return x().ca;
    },
    get subjectAltNames() {
      return splitNames(x().subjectAltName);
    },
    get fingerprint256() {
      return x().fingerprint256;
    },
    publicKey,
    signature,
    quantum: verdict.status,
    quantumReason: verdict.reason,
    der,
  };
}

// DER always opens with a SEQUENCE tag (0x30); anything else is read as PEM.
function toDer(input: Buffer | string): Buffer {
  if (typeof input !== 'string' && input[0] === 0x30) return input;
  const text = typeof input === 'string' ? input : input.toString('latin1');
  if (typeof input !== 'string' && !text.includes('-----BEGIN'))
    throw new Error(
      'not a readable X.509 certificate: neither DER (a SEQUENCE) nor PEM',
    );
  const bundle = splitPem(text);
  const first = bundle.certificates[0];
  if (first) return first.der;
  throw new Error(
    bundle.problems[0]
      ? `not a readable PEM certificate: ${bundle.problems[0].message}`
      : 'no PEM CERTIFICATE block found',
  );
}

function keyInfo(
  x: () => X509Certificate,
  f: CertificateFields,
): PublicKeyInfo {
  const oid = f.publicKey;
  const param = f.publicKeyParameter;
  const known = lookupAlgorithm(oid);
  if (!known) return { name: oid, oid, kind: 'unknown', label: `OID ${oid}` };
  const base = { name: known.family, oid, kind: known.kind };
  let size: string | undefined;
  let bits: number | undefined;
  switch (known.family) {
    case 'RSA':
    case 'DSA':
      bits = f.rsaBits ?? safeKeyDetails(x)?.modulusLength;
      size = bits === undefined ? undefined : String(bits);
      break;
    case 'ECDSA': {
      const named = param && CURVES[param];
      const details = named ? undefined : safeKeyDetails(x);
      size =
        named ||
        ((details?.namedCurve && NODE_CURVES[details.namedCurve]) ??
          details?.namedCurve ??
          param);
      break;
    }
    default:
      // The OID names the parameter set (ML-DSA-65, Ed25519, composites).
      size = known.name;
  }
  const label =
    size === undefined
      ? known.family
      : size === known.family || size === known.name
        ? size
        : `${known.family} ${size}`;
  return {
    ...base,
    ...(size === undefined ? {} : { size }),
    ...(bits === undefined ? {} : { bits }),
    label,
  };
}

const NODE_CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

// OpenSSL refuses keys it cannot decode (composites, unknown OIDs): the
// algorithm still comes from the DER walk, only the size is lost.
function safeKeyDetails(x: () => X509Certificate) {
  try {
    return x().publicKey.asymmetricKeyDetails;
  } catch {
    return undefined;
  }
}

function signatureInfo(x: () => X509Certificate, oid: string): SignatureInfo {
  const known = lookupAlgorithm(oid);
  if (!known) {
    let label = `OID ${oid}`;
    try {
      label = x().signatureAlgorithm ?? label;
    } catch {
      // the OID is all there is
    }
    return { name: oid, oid, kind: 'unknown', label };
  }
  return { name: known.family, oid, kind: known.kind, label: known.name };
}

const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

// Node separates names with ", " and JSON-quotes a value holding one.
function splitNames(san: string | undefined): string[] {
  if (!san) return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < san.length; i++) {
    const ch = san[i];
    if (ch === '"' && san[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && ch === ',' && san[i + 1] === ' ') {
      out.push(cur);
      cur = '';
      i++;
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

const reason = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0];
