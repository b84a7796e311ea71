import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byExpiry, daysLeft } from '../../src/certs/expiry.js';
import { inspectCertificate } from '../../src/certs/inspect.js';
import {
  classicalFixtures,
  DAY,
  type ClassicalFixtures,
} from '../helpers/x509-fixtures.js';

const now = new Date('2030-06-15T12:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('daysLeft', () => {
  it.each([
    [at(10 * DAY + 3600e3), 10],
    [at(10 * DAY), 10],
    [at(10 * DAY - 1), 9],
    [at(1), 0],
    [at(0), 0],
    [at(-1), -1],
    [at(-DAY), -1],
    [at(-DAY - 1), -2],
  ])('%o -> %i', (notAfter, days) => {
    expect(daysLeft(notAfter, now)).toBe(days);
  });
});

describe('byExpiry', () => {
  it('sorts earliest first, stable, without touching the input', () => {
    const items = [
      { id: 'c', notAfter: at(3 * DAY) },
      { id: 'a1', notAfter: at(DAY) },
      { id: 'x', notAfter: at(-DAY) },
      { id: 'a2', notAfter: at(DAY) },
    ];
    expect(byExpiry(items).map((i) => i.id)).toEqual(['x', 'a1', 'a2', 'c']);
    expect(items[0].id).toBe('c');
    expect(byExpiry(new Set(items))).toHaveLength(4);
  });
});

describe('with real certificates', () => {
  let dir: string;
  let f: ClassicalFixtures;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certs-expiry-'));
    f = await classicalFixtures(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads expired, 10 days left and healthy', () => {
    const today = f.now;
    const days = (k: 'expired' | 'tenDays' | 'ec') =>
      daysLeft(inspectCertificate(f[k].crt).notAfter, today);
    expect(days('expired')).toBe(-1);
    expect(days('tenDays')).toBe(10);
    expect(days('ec')).toBe(365);
    // A later `now` makes a healthy certificate expired.
    const later = new Date(today.getTime() + 400 * DAY);
    expect(daysLeft(inspectCertificate(f.ec.crt).notAfter, later)).toBe(-35);
  });

  it('puts the intermediate that expires before its leaf first', () => {
    const chain = [f.leaf, f.intermediate, f.root].map((c) =>
      inspectCertificate(c.crt),
    );
    expect(byExpiry(chain).map((c) => c.subject)).toEqual([
      'CN=Test Intermediate CA',
      'CN=leaf.test',
      'CN=Test Root CA',
    ]);
  });
});
