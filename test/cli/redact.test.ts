// The CLI's redactor: every registered secret of four characters or more is
// replaced by *** wherever it appears, longest first, so a secret that
// contains another is never half-shown.
import { describe, expect, it } from 'vitest';
import { redactor } from '../../src/cli/redact.js';

describe('CLI redaction', () => {
  it('replaces every occurrence of every secret', () => {
    const r = redactor();
    r.add('hunter22');
    r.add('s3cr3t');
    expect(r.apply('a hunter22 b s3cr3t c hunter22')).toBe('a *** b *** c ***');
    expect(r.apply('nothing secret here')).toBe('nothing secret here');
  });

  it('ignores values under four characters (they would redact ordinary words)', () => {
    const r = redactor();
    r.add('abc');
    r.add('');
    expect(r.apply('abc abcd')).toBe('abc abcd');
    r.add('abcd');
    expect(r.apply('abc abcd')).toBe('abc ***');
  });

  it('redacts the longest secret first, leaving no part of it', () => {
    for (const order of [
      ['pass', 'password123'],
      ['password123', 'pass'],
    ]) {
      const r = redactor();
      for (const s of order) r.add(s);
      expect(r.apply('password123 and pass')).toBe('*** and ***');
    }
  });
});
