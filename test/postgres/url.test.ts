import { describe, expect, it } from 'vitest';
import { pgEnv, parsePgUrl, withDatabase } from '../../src/postgres/url.js';

describe('parsePgUrl', () => {
  it('masks the password raw and decoded, and keeps it out of the URL', () => {
    const masked: string[] = [];
    const t = parsePgUrl(
      'postgresql://app:p%40ss%2Fw0rd@db:5432/pqc_audit?sslmode=require',
      'database-url',
      (s) => masked.push(s),
    );
    expect(masked).toEqual(['p%40ss%2Fw0rd', 'p@ss/w0rd']);
    expect(t.url).toBe('postgresql://app@db:5432/pqc_audit?sslmode=require');
    expect(pgEnv(t)['PGPASSWORD']).toBe('p@ss/w0rd');
    expect(withDatabase(t, 'postgres').url).toBe(
      'postgresql://app@db:5432/postgres?sslmode=require',
    );
  });

  it.each([
    ['not a url', /is not a URL/],
    ['mysql://u:p@h/db', /must start with postgres:\/\//],
    ['postgres://u:p@h:5432/', /names no database/],
  ])('refuses %s naming the input', (raw, re) => {
    expect(() => parsePgUrl(raw, 'database-url', () => undefined)).toThrow(re);
    expect(() => parsePgUrl(raw, 'database-url', () => undefined)).toThrow(
      /database-url/,
    );
  });
});
