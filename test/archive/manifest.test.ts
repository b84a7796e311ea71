// The manifest's checks: a bad-manifest table (each malformed manifest
// refused with its own message), the seal member's exact form, and names.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  COMPONENTS,
  FORMAT_NAME,
  FORMAT_VERSION,
  manifestSha256,
  parseSeal,
  sealText,
  tableName,
  validateManifest,
} from '../../src/archive/manifest.js';

const SHA = 'ab'.repeat(32);
const good = () => ({
  format: FORMAT_NAME,
  formatVersion: FORMAT_VERSION,
  createdBy: 'pqc-ops',
  startedAt: '2026-11-26T15:00:00.000Z',
  endedAt: '2026-11-26T15:00:05.000Z',
  source: {},
  members: [
    { name: 'database.dump', component: 'database', size: 10, sha256: SHA },
  ],
  database: {
    member: 'database.dump',
    format: 'pg_dump custom (-Fc)',
    snapshot: 's',
    tables: [],
  },
});

describe('validateManifest', () => {
  it('accepts every version up to the current one, and no members', () => {
    for (const formatVersion of [1, FORMAT_VERSION]) {
      const m = { ...good(), formatVersion };
      expect(validateManifest(m)).toBe(m);
    }
    expect(validateManifest({ ...good(), members: [] }).members).toEqual([]);
    const noDb = { ...good(), database: undefined };
    expect(validateManifest(noDb)).toBe(noDb);
  });

  const NOT_OURS = 'manifest.json is not a pqc-ops backup manifest';
  const MEMBER = 'manifest.json has a malformed member record';
  const member = (x: unknown) => ({ ...good(), members: [x] });
  const record = { name: 'a', component: 'config', size: 1, sha256: SHA };
  it.each([
    ['null', null, NOT_OURS],
    ['a string', 'pqc-ops-backup', NOT_OURS],
    ['another format', { ...good(), format: 'tar' }, NOT_OURS],
    ['no format', { ...good(), format: undefined }, NOT_OURS],
    [
      'a newer version',
      { ...good(), formatVersion: FORMAT_VERSION + 1 },
      `manifest.json has format version ${FORMAT_VERSION + 1}; this pqc-ops reads up to ${FORMAT_VERSION}`,
    ],
    [
      'a version as a string',
      { ...good(), formatVersion: '1' },
      `manifest.json has format version 1; this pqc-ops reads up to ${FORMAT_VERSION}`,
    ],
    [
      'no version',
      { ...good(), formatVersion: undefined },
      'manifest.json has format version undefined',
    ],
    [
      'no members',
      { ...good(), members: undefined },
      'manifest.json lists no members',
    ],
    [
      'members not a list',
      { ...good(), members: { a: 1 } },
      'manifest.json lists no members',
    ],
    ['a null member', member(null), MEMBER],
    ['a member without name', member({ ...record, name: undefined }), MEMBER],
    ['a member with a numeric name', member({ ...record, name: 5 }), MEMBER],
    ['a member with a string size', member({ ...record, size: '1' }), MEMBER],
    [
      'a member without sha256',
      member({ ...record, sha256: undefined }),
      MEMBER,
    ],
    ['a short sha256', member({ ...record, sha256: SHA.slice(1) }), MEMBER],
    ['a long sha256', member({ ...record, sha256: `${SHA}0` }), MEMBER],
    [
      'an upper-case sha256',
      member({ ...record, sha256: SHA.toUpperCase() }),
      MEMBER,
    ],
    [
      'a bad record after a good one',
      { ...good(), members: [record, { ...record, size: null }] },
      MEMBER,
    ],
    [
      'a database without tables',
      { ...good(), database: { member: 'database.dump' } },
      'manifest.json has no table list',
    ],
    [
      'tables not a list',
      { ...good(), database: { ...good().database, tables: 'x' } },
      'manifest.json has no table list',
    ],
  ])('refuses %s', (_, m, message) => {
    expect(() => validateManifest(m)).toThrow(message);
  });
});

describe('the seal member', () => {
  it('is `<sha256>  manifest.json`, as sha256sum writes it', () => {
    const json = Buffer.from('{"a":1}\n');
    const sha = manifestSha256(json);
    expect(sha).toBe(createHash('sha256').update(json).digest('hex'));
    expect(sealText(sha).toString()).toBe(`${sha}  manifest.json\n`);
    expect(parseSeal(sealText(sha))).toBe(sha);
  });

  it.each(['', 'AB'.repeat(32), SHA.slice(1), `${SHA}0`, `${SHA}\n`])(
    'refuses to seal %j',
    (bad) =>
      expect(() => sealText(bad)).toThrow(
        'manifest sha256 must be 64 hex digits',
      ),
  );

  it.each([
    `${SHA} manifest.json\n`,
    `${SHA}  manifest.json`,
    `${SHA}  manifest.json\n\n`,
    `${SHA}  manifest.jsonx\n`,
    `${SHA}  manifestxjson\n`,
    ` ${SHA}  manifest.json\n`,
    `${SHA.slice(1)}  manifest.json\n`,
    `${SHA.toUpperCase()}  manifest.json\n`,
    `x${SHA}  manifest.json\n`,
  ])('refuses the seal %j', (text) =>
    expect(() => parseSeal(Buffer.from(text))).toThrow(
      'manifest.sha256 is malformed (expected "<sha256>  manifest.json")',
    ),
  );
});

describe('components', () => {
  it('are the three an archive can hold', () =>
    expect(COMPONENTS).toEqual(['database', 'config', 'appdata']));
});

describe('tableName', () => {
  it.each([
    [{ schema: 'public', table: 'scans' }, 'public.scans'],
    [{ schema: '_a1', table: 'b_2' }, '_a1.b_2'],
    [{ schema: 'Public', table: 'a b' }, '"Public"."a b"'],
    [{ schema: '1a', table: 'x"y' }, '"1a"."x""y"'],
    [{ schema: 'a-b', table: 'ok' }, '"a-b".ok'],
    [{ schema: 'ok', table: 'x\nbad' }, 'ok."x\nbad"'],
  ])('%j -> %s', (t, name) => expect(tableName(t)).toBe(name));
});
