import { describe, expect, it } from 'vitest';
import {
  lookupAlgorithm,
  quantumVerdict,
  type Part,
} from '../../src/certs/algorithms.js';

describe('lookupAlgorithm', () => {
  it.each([
    ['1.2.840.113549.1.1.1', 'RSA', 'rsaEncryption', 'classical'],
    ['1.2.840.113549.1.1.11', 'RSA', 'sha256WithRSAEncryption', 'classical'],
    ['1.2.840.113549.1.1.99', 'RSA', 'RSA 1.2.840.113549.1.1.99', 'classical'],
    ['1.2.840.10045.2.1', 'ECDSA', 'ecPublicKey', 'classical'],
    ['1.2.840.10045.4.3.3', 'ECDSA', 'ecdsa-with-SHA384', 'classical'],
    ['1.3.101.112', 'Ed25519', 'Ed25519', 'classical'],
    ['1.3.101.113', 'Ed448', 'Ed448', 'classical'],
    ['1.2.840.10040.4.1', 'DSA', 'dsaEncryption', 'classical'],
    ['2.16.840.1.101.3.4.3.2', 'DSA', 'dsa-with-sha256', 'classical'],
    ['2.16.840.1.101.3.4.3.10', 'ECDSA', 'ecdsa-with-sha3-256', 'classical'],
    ['2.16.840.1.101.3.4.3.17', 'ML-DSA', 'ML-DSA-44', 'post-quantum'],
    ['2.16.840.1.101.3.4.3.18', 'ML-DSA', 'ML-DSA-65', 'post-quantum'],
    ['2.16.840.1.101.3.4.3.19', 'ML-DSA', 'ML-DSA-87', 'post-quantum'],
    ['2.16.840.1.101.3.4.3.20', 'SLH-DSA', 'SLH-DSA-SHA2-128s', 'post-quantum'],
    [
      '2.16.840.1.101.3.4.3.31',
      'SLH-DSA',
      'SLH-DSA-SHAKE-256f',
      'post-quantum',
    ],
    ['2.16.840.1.101.3.4.4.2', 'ML-KEM', 'ML-KEM-768', 'post-quantum'],
    [
      '1.3.6.1.5.5.7.6.37',
      'Composite ML-DSA',
      'MLDSA44-RSA2048-PSS-SHA256',
      'composite',
    ],
    [
      '1.3.6.1.5.5.7.6.45',
      'Composite ML-DSA',
      'MLDSA65-ECDSA-P256-SHA512',
      'composite',
    ],
    [
      '1.3.6.1.5.5.7.6.54',
      'Composite ML-DSA',
      'MLDSA87-ECDSA-P521-SHA512',
      'composite',
    ],
    [
      '2.16.840.1.114027.80.9.1.0',
      'Composite ML-DSA',
      'MLDSA44-RSA2048-PSS-SHA256',
      'composite',
    ],
    [
      '2.16.840.1.114027.80.8.1.3',
      'Composite ML-DSA',
      'composite ML-DSA (early draft OID 2.16.840.1.114027.80.8.1.3)',
      'composite',
    ],
  ])('%s is %s %s (%s)', (oid, family, name, kind) => {
    expect(lookupAlgorithm(oid)).toEqual({ family, name, kind });
  });

  it.each([
    '1.3.6.1.5.5.7.6.36',
    '1.3.6.1.5.5.7.6.55',
    '2.16.840.1.101.3.4.3.47',
    '2.16.840.1.114027.80.9.1.18',
    '1.2.643.7.1.1.1.1', // GOST
    '1.2.840.113549.1.1',
  ])('%s is unknown', (oid) => {
    expect(lookupAlgorithm(oid)).toBeUndefined();
  });
});

describe('quantumVerdict', () => {
  const rsa: Part = {
    label: 'RSA 2048',
    oid: '1.2.840.113549.1.1.1',
    kind: 'classical',
  };
  const mldsa: Part = {
    label: 'ML-DSA-65',
    oid: '2.16.840.1.101.3.4.3.18',
    kind: 'post-quantum',
  };
  const comp: Part = {
    label: 'MLDSA65-ECDSA-P256-SHA512',
    oid: '1.3.6.1.5.5.7.6.45',
    kind: 'composite',
  };
  const unk: Part = { label: 'OID 1.2.3.4', oid: '1.2.3.4', kind: 'unknown' };
  it.each([
    [
      rsa,
      rsa,
      'vulnerable',
      /key RSA 2048 and signature RSA 2048 are classical/,
    ],
    [rsa, mldsa, 'vulnerable', /^key RSA 2048 is classical/],
    [
      mldsa,
      rsa,
      'vulnerable',
      /^signature RSA 2048 is classical over post-quantum key ML-DSA-65/,
    ],
    [
      rsa,
      unk,
      'vulnerable',
      /key RSA 2048 is classical \(signature OID 1.2.3.4 is unrecognised \(OID 1.2.3.4\)\)/,
    ],
    [
      unk,
      rsa,
      'vulnerable',
      /signature RSA 2048 is classical over unrecognised/,
    ],
    [mldsa, mldsa, 'post-quantum', /are post-quantum/],
    [comp, comp, 'hybrid', /composite/],
    [mldsa, comp, 'hybrid', /composite/],
    [comp, mldsa, 'hybrid', /composite/],
    [unk, mldsa, 'unknown', /key OID 1.2.3.4/],
    [mldsa, unk, 'unknown', /signature OID 1.2.3.4/],
  ] as const)('key %o sig %o -> %s', (key, sig, status, reason) => {
    const v = quantumVerdict(key, sig);
    expect(v.status).toBe(status);
    expect(v.reason).toMatch(reason);
    expect(v.reason).not.toContain('\n');
  });
});
