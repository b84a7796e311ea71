import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { urlEndpoint } from '../../src/postgres/endpoint.js';
import {
  pgEnv,
  parsePgUrl,
  urlHasPassword,
  withDatabase,
} from '../../src/postgres/url.js';
import { LocalRunner } from '../../src/process/runner.js';

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

describe('password as a query parameter (security review)', () => {
  function parse(raw: string) {
    const masked: string[] = [];
    const t = parsePgUrl(raw, 'database-url', (s) => masked.push(s));
    return { t, masked };
  }

  it('query password is removed from the URL, goes to PGPASSWORD and is masked', () => {
    const { t, masked } = parse(
      'postgres://u@h:5432/db?sslmode=require&password=s3cr%2Bt%26x&application_name=a%20b',
    );
    expect(t.password).toBe('s3cr+t&x');
    expect(t.url).toBe(
      'postgres://u@h:5432/db?sslmode=require&application_name=a%20b',
    );
    expect(t.url).not.toMatch(/s3cr|password/);
    expect(pgEnv(t)['PGPASSWORD']).toBe('s3cr+t&x');
    expect(masked).toEqual(['s3cr%2Bt%26x', 's3cr+t&x']);
    const ep = urlEndpoint(t, new LocalRunner());
    expect(ep.describe).not.toMatch(/s3cr/);
    expect(ep.connArgs().join(' ')).not.toMatch(/s3cr/);
    expect(ep.connArgs('postgres').join(' ')).not.toMatch(/s3cr/);
    expect(ep.env['PGPASSWORD']).toBe('s3cr+t&x');
  });

  it('query password keeps a literal + as libpq does (no form decoding)', () => {
    const { t, masked } = parse('postgresql://u@h/db?password=a+b');
    expect(t.password).toBe('a+b');
    expect(t.url).toBe('postgresql://u@h/db');
    expect(masked).toEqual(['a+b']);
  });

  it('query password with a percent-encoded key is still found', () => {
    const { t } = parse('postgres://u@h/db?%70assword=k3y&sslmode=disable');
    expect(t.password).toBe('k3y');
    expect(t.url).toBe('postgres://u@h/db?sslmode=disable');
  });

  it('query password wins over the userinfo password, and both are masked', () => {
    const { t, masked } = parse(
      'postgres://u:inf0@h/db?password=first&password=l%40st',
    );
    expect(t.password).toBe('l@st');
    expect(t.url).toBe('postgres://u@h/db');
    expect(masked).toEqual(
      expect.arrayContaining(['inf0', 'first', 'l%40st', 'l@st']),
    );
    expect(withDatabase(t, 'postgres').url).toBe('postgres://u@h/postgres');
  });

  it('query password typed raw with characters the URL parser re-encodes is masked as typed', () => {
    const { t, masked } = parse('postgres://u@h/db?password=a b"c');
    expect(t.password).toBe('a b"c');
    expect(masked).toContain('a b"c');
    expect(masked).toContain('a%20b%22c');
    expect(t.url).toBe('postgres://u@h/db');
  });

  it('userinfo password typed raw is masked as typed too', () => {
    const { masked } = parse('postgres://u:a"b@h/db');
    expect(masked).toContain('a"b');
    expect(masked).toContain('a%22b');
  });

  it('sslpassword is refused without echoing it', () => {
    let err: unknown;
    try {
      parse('postgres://u@h/db?sslpassword=keypass');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/database-url.*sslpassword/);
    expect((err as Error).message).not.toContain('keypass');
  });

  it('a malformed escape in the password is a configuration error without the password', () => {
    const masked: string[] = [];
    let err: unknown;
    try {
      parsePgUrl('postgres://u@h/db?password=ab%zz', 'database-url', (s) =>
        masked.push(s),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).not.toContain('ab%zz');
    expect(masked).toContain('ab%zz');
  });

  it('urlEndpoint refuses a target whose URL still holds a password', () => {
    for (const url of [
      'postgres://u:pw@h/db',
      'postgres://u@h/db?password=pw',
    ]) {
      expect(() =>
        urlEndpoint(
          { url, password: undefined, database: 'db', user: 'u', host: 'h' },
          new LocalRunner(),
        ),
      ).toThrow(/password/);
      expect(urlHasPassword(url)).toBe(true);
    }
    expect(urlHasPassword('postgres://u@h/db?sslmode=disable')).toBe(false);
  });
});
