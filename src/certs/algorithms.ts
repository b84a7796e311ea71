// The algorithm OIDs we recognise and what a quantum computer does to them.

/** How an algorithm stands against a quantum adversary. */
export type AlgorithmKind = 'classical' | 'post-quantum' | 'composite';

/** A recognised algorithm OID. */
export interface KnownAlgorithm {
  /** Family: `RSA`, `ECDSA`, `Ed25519`, `ML-DSA`, `SLH-DSA`, `Composite ML-DSA`... */
  family: string;
  /** The precise name: `sha256WithRSAEncryption`, `ML-DSA-65`, `SLH-DSA-SHA2-128f`. */
  name: string;
  kind: AlgorithmKind;
}

const NIST_SIG = '2.16.840.1.101.3.4.3.';
const SLH_VARIANTS = [
  'SHA2-128s',
  'SHA2-128f',
  'SHA2-192s',
  'SHA2-192f',
  'SHA2-256s',
  'SHA2-256f',
  'SHAKE-128s',
  'SHAKE-128f',
  'SHAKE-192s',
  'SHAKE-192f',
  'SHAKE-256s',
  'SHAKE-256f',
];
// draft-ietf-lamps-pq-composite-sigs, in OID order: 1.3.6.1.5.5.7.6.37-54 and
// the pre-standard 2.16.840.1.114027.80.9.1.0-17.
const COMPOSITES = [
  'MLDSA44-RSA2048-PSS-SHA256',
  'MLDSA44-RSA2048-PKCS15-SHA256',
  'MLDSA44-Ed25519-SHA512',
  'MLDSA44-ECDSA-P256-SHA256',
  'MLDSA65-RSA3072-PSS-SHA512',
  'MLDSA65-RSA3072-PKCS15-SHA512',
  'MLDSA65-RSA4096-PSS-SHA512',
  'MLDSA65-RSA4096-PKCS15-SHA512',
  'MLDSA65-ECDSA-P256-SHA512',
  'MLDSA65-ECDSA-P384-SHA512',
  'MLDSA65-ECDSA-brainpoolP256r1-SHA512',
  'MLDSA65-Ed25519-SHA512',
  'MLDSA87-ECDSA-P384-SHA512',
  'MLDSA87-ECDSA-brainpoolP384r1-SHA512',
  'MLDSA87-Ed448-SHAKE256',
  'MLDSA87-RSA3072-PSS-SHA512',
  'MLDSA87-RSA4096-PSS-SHA512',
  'MLDSA87-ECDSA-P521-SHA512',
];

const c = (family: string, name = family): KnownAlgorithm => ({
  family,
  name,
  kind: 'classical',
});
const pq = (family: string, name: string): KnownAlgorithm => ({
  family,
  name,
  kind: 'post-quantum',
});

const EXACT: Record<string, KnownAlgorithm> = {
  '1.2.840.113549.1.1.1': c('RSA', 'rsaEncryption'),
  '1.2.840.113549.1.1.4': c('RSA', 'md5WithRSAEncryption'),
  '1.2.840.113549.1.1.5': c('RSA', 'sha1WithRSAEncryption'),
  '1.2.840.113549.1.1.10': c('RSA', 'RSASSA-PSS'),
  '1.2.840.113549.1.1.11': c('RSA', 'sha256WithRSAEncryption'),
  '1.2.840.113549.1.1.12': c('RSA', 'sha384WithRSAEncryption'),
  '1.2.840.113549.1.1.13': c('RSA', 'sha512WithRSAEncryption'),
  '1.2.840.113549.1.1.14': c('RSA', 'sha224WithRSAEncryption'),
  '1.2.840.10045.2.1': c('ECDSA', 'ecPublicKey'),
  '1.2.840.10045.4.1': c('ECDSA', 'ecdsa-with-SHA1'),
  '1.2.840.10045.4.3.1': c('ECDSA', 'ecdsa-with-SHA224'),
  '1.2.840.10045.4.3.2': c('ECDSA', 'ecdsa-with-SHA256'),
  '1.2.840.10045.4.3.3': c('ECDSA', 'ecdsa-with-SHA384'),
  '1.2.840.10045.4.3.4': c('ECDSA', 'ecdsa-with-SHA512'),
  '1.3.101.110': c('X25519'),
  '1.3.101.111': c('X448'),
  '1.3.101.112': c('Ed25519'),
  '1.3.101.113': c('Ed448'),
  '1.2.840.10040.4.1': c('DSA', 'dsaEncryption'),
  '1.2.840.10040.4.3': c('DSA', 'dsa-with-SHA1'),
  '2.16.840.1.101.3.4.4.1': pq('ML-KEM', 'ML-KEM-512'),
  '2.16.840.1.101.3.4.4.2': pq('ML-KEM', 'ML-KEM-768'),
  '2.16.840.1.101.3.4.4.3': pq('ML-KEM', 'ML-KEM-1024'),
};

/** The NIST signature arc 2.16.840.1.101.3.4.3.n. */
function nistSignature(n: number): KnownAlgorithm | undefined {
  const sha3 = ['224', '256', '384', '512'];
  if (n >= 1 && n <= 4) return c('DSA', `dsa-with-sha${sha3[n - 1]}`);
  if (n >= 5 && n <= 8) return c('DSA', `dsa-with-sha3-${sha3[n - 5]}`);
  if (n >= 9 && n <= 12) return c('ECDSA', `ecdsa-with-sha3-${sha3[n - 9]}`);
  if (n >= 13 && n <= 16)
    return c('RSA', `rsassa-pkcs1-v1_5-with-sha3-${sha3[n - 13]}`);
  if (n >= 17 && n <= 19) return pq('ML-DSA', `ML-DSA-${[44, 65, 87][n - 17]}`);
  if (n >= 20 && n <= 31)
    return pq('SLH-DSA', `SLH-DSA-${SLH_VARIANTS[n - 20]}`);
  if (n >= 32 && n <= 34)
    return pq('ML-DSA', `HashML-DSA-${[44, 65, 87][n - 32]}-with-SHA512`);
  if (n >= 35 && n <= 46)
    return pq('SLH-DSA', `HashSLH-DSA-${SLH_VARIANTS[n - 35]}`);
  return undefined;
}

const composite = (name: string): KnownAlgorithm => ({
  family: 'Composite ML-DSA',
  name,
  kind: 'composite',
});

const lastArc = (oid: string, prefix: string): number | undefined =>
  oid.startsWith(prefix) && /^\d+$/.test(oid.slice(prefix.length))
    ? Number(oid.slice(prefix.length))
    : undefined;

/** What an algorithm OID is, or undefined when we do not know it. */
export function lookupAlgorithm(oid: string): KnownAlgorithm | undefined {
  const exact = EXACT[oid];
  if (exact) return exact;
  const nist = lastArc(oid, NIST_SIG);
  if (nist !== undefined) return nistSignature(nist);
  const ietf = lastArc(oid, '1.3.6.1.5.5.7.6.');
  if (ietf !== undefined && ietf >= 37 && ietf <= 54)
    return composite(COMPOSITES[ietf - 37]);
  const entrust = lastArc(oid, '2.16.840.1.114027.80.9.1.');
  if (entrust !== undefined && entrust < COMPOSITES.length)
    return composite(COMPOSITES[entrust]);
  if (oid.startsWith('2.16.840.1.114027.80.8.1.'))
    return composite(`composite ML-DSA (early draft OID ${oid})`);
  // Families whose other members are classical all the same.
  if (oid.startsWith('1.2.840.113549.1.1.')) return c('RSA', `RSA ${oid}`);
  if (oid.startsWith('1.2.840.10045.')) return c('ECDSA', `ECDSA ${oid}`);
  if (oid.startsWith('1.2.840.10040.4.')) return c('DSA', `DSA ${oid}`);
  if (oid.startsWith('1.3.132.1.')) return c('ECDH', `ECDH ${oid}`);
  return undefined;
}

/** Named EC curve OIDs to their usual names. */
export const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.2.840.10045.3.1.1': 'P-192',
  '1.3.132.0.33': 'P-224',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
};

/** What the verdict needs of one half (the key or the signature). */
export interface Part {
  /** Short text for the reason: `RSA 2048`, `ecdsa-with-SHA256`. */
  label: string;
  oid: string;
  kind: AlgorithmKind | 'unknown';
}

/** Post-quantum readiness of a certificate. */
export type QuantumStatus =
  'vulnerable' | 'post-quantum' | 'hybrid' | 'unknown';

/**
 * The verdict on a key and the signature over it. Any classical part makes
 * the certificate vulnerable (a forged signature is as bad as a broken key);
 * post-quantum needs both parts post-quantum; a composite part with the rest
 * post-quantum or composite is hybrid; otherwise an unknown OID decides.
 */
export function quantumVerdict(
  key: Part,
  sig: Part,
): { status: QuantumStatus; reason: string } {
  const k = `key ${key.label}`;
  const s = `signature ${sig.label}`;
  const what = (p: Part) =>
    p.kind === 'unknown' ? `unrecognised (OID ${p.oid})` : p.kind;
  if (key.kind === 'classical' && sig.kind === 'classical')
    return { status: 'vulnerable', reason: `${k} and ${s} are classical` };
  if (key.kind === 'classical')
    return {
      status: 'vulnerable',
      reason: `${k} is classical (${s} is ${what(sig)})`,
    };
  if (sig.kind === 'classical')
    return {
      status: 'vulnerable',
      reason: `${s} is classical over ${what(key)} ${k}`,
    };
  if (key.kind === 'unknown' || sig.kind === 'unknown') {
    const parts = [key.kind === 'unknown' ? `key OID ${key.oid}` : '']
      .concat(sig.kind === 'unknown' ? [`signature OID ${sig.oid}`] : [])
      .filter(Boolean);
    return {
      status: 'unknown',
      reason: `unrecognised algorithm: ${parts.join(', ')}`,
    };
  }
  if (key.kind === 'post-quantum' && sig.kind === 'post-quantum')
    return { status: 'post-quantum', reason: `${k} and ${s} are post-quantum` };
  return {
    status: 'hybrid',
    reason: `${k} is ${key.kind} and ${s} is ${sig.kind} (ML-DSA with a classical algorithm)`,
  };
}
