import { describe, expect, it } from 'vitest';
import * as p from '../../src/inputs/parsers.js';

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['2w', 1_209_600_000],
  ])('%s -> %d ms', (raw, ms) => expect(p.parseDuration(raw)).toBe(ms));
  it.each(['', '10', 'ten s', '5x', '-5m', '5m junk', 'm5'])(
    'rejects %j',
    (raw) => expect(() => p.parseDuration(raw)).toThrow(),
  );
});

describe('parsePercent', () => {
  it.each([
    ['80%', 80],
    ['80', 80],
    ['12.5%', 12.5],
    ['150%', 150],
  ])('%s -> %d', (raw, v) => expect(p.parsePercent(raw)).toBe(v));
  it.each(['0%', '-5%', 'abc', '80%%', '2000%'])('rejects %j', (raw) =>
    expect(() => p.parsePercent(raw)).toThrow(),
  );
});

describe('parseSize', () => {
  it.each([
    ['512Mi', 512 * 1024 * 1024],
    ['1GB', 1e9],
    ['4096', 4096],
    ['1.5Gi', Math.round(1.5 * 1024 ** 3)],
  ])('%s -> %d', (raw, v) => expect(p.parseSize(raw)).toBe(v));
  it.each(['', 'MB', '10 parsecs', '-1Mi'])('rejects %j', (raw) =>
    expect(() => p.parseSize(raw)).toThrow(),
  );
});

describe('parseKubeName', () => {
  it.each(['pqc-audit', 'a', 'web.v1', 'x'.repeat(63)])('accepts %s', (raw) =>
    expect(p.parseKubeName(raw)).toBe(raw),
  );
  it.each(['PQC', '-a', 'a-', 'a_b', '', 'a..b', 'x'.repeat(64)])(
    'rejects %j',
    (raw) => expect(() => p.parseKubeName(raw)).toThrow(),
  );
});

describe('parseLabelSelector', () => {
  it.each([
    'app=pqc-audit',
    'app==pqc-audit,tier!=db',
    'tier in (web, api),env notin (dev)',
    'app.kubernetes.io/name=pqc',
    '!canary',
    'release',
  ])('accepts %s', (raw) => expect(p.parseLabelSelector(raw)).toBe(raw));
  it('accepts an empty value, as Kubernetes does', () =>
    expect(p.parseLabelSelector('app=')).toBe('app='));
  it.each(['', '=x', 'a b', 'tier in web', 'app=pqc audit', 'a=(b)'])(
    'rejects %j',
    (raw) => expect(() => p.parseLabelSelector(raw)).toThrow(),
  );
});

describe('other forms', () => {
  it('booleans follow the YAML 1.2 core schema like getBooleanInput', () => {
    expect(p.parseBoolean('True')).toBe(true);
    expect(p.parseBoolean('FALSE')).toBe(false);
    expect(() => p.parseBoolean('yes')).toThrow();
  });
  it('urls must be http(s)', () => {
    expect(p.parseHttpUrl('https://x.example/health').pathname).toBe('/health');
    expect(() => p.parseHttpUrl('ftp://x')).toThrow();
    expect(() => p.parseHttpUrl('not a url')).toThrow();
  });
  it('lists take lines or commas and drop comments', () => {
    expect(p.parseList('a, b\n# note\nc # trailing\n\n')).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
  it('integers are bounded', () => {
    expect(p.parseInteger('3', 0, 10)).toBe(3);
    expect(() => p.parseInteger('11', 0, 10)).toThrow('out of range');
    expect(() => p.parseInteger('3.5', 0, 10)).toThrow();
  });
  it('argv accepts JSON and YAML lists of strings', async () => {
    const { parse } = await import('yaml');
    expect(p.parseArgv('["python3", "-c", "print(1)"]', parse)).toEqual([
      'python3',
      '-c',
      'print(1)',
    ]);
    expect(p.parseArgv('[node, /opt/selftest.mjs]', parse)).toEqual([
      'node',
      '/opt/selftest.mjs',
    ]);
    expect(() => p.parseArgv('python3 -c x', parse)).toThrow();
    expect(() => p.parseArgv('[1, 2]', parse)).toThrow();
  });
});
