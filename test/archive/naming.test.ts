// Archive names, the one definition every reader and the writer share:
// boundary tables for the prefix rule, the calendar and the clock-skew
// limits, and name -> parse -> name round trips over generated values.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp.js';
import {
  COMPRESSIONS,
  DEFAULT_PREFIX,
  namePattern,
  archiveName,
  archiveNames,
  assertNameFree,
  isFromTheFuture,
  manifestTimeProblem,
  MAX_CLOCK_SKEW_MS,
  MAX_NAME_MANIFEST_SKEW_MS,
  parseAnyArchiveName,
  parseArchiveName,
  temporaryName,
  temporaryOf,
  validPrefix,
} from '../../src/archive/naming.js';

const tempDir = tempDirs('naming');

const AT = new Date('2026-11-26T15:04:05.678Z');
const prefixArb = fc
  .tuple(
    fc.constantFrom(...'aZ09'),
    fc.string({ unit: fc.constantFrom(...'aZ09._-'), maxLength: 100 }),
  )
  .map(([a, b]) => a + b);

describe('prefixes', () => {
  it('the default, the compressions, and the pattern shown in messages', () => {
    expect(DEFAULT_PREFIX).toBe('pqc-audit-backup');
    expect(COMPRESSIONS).toEqual(['pg', 'zstd']);
    expect(namePattern('p')).toBe('p_YYYYmmdd_HHMMSS.tar[.zst][.age]');
  });

  it.each([
    ['a', true],
    ['0', true],
    ['pqc-audit.backup_2', true],
    ['a'.repeat(101), true],
    ['a'.repeat(102), false],
    ['', false],
    ['-a', false],
    ['.a', false],
    ['_a', false],
    ['../x', false],
    ['a/b', false],
    ['a b', false],
    ['x\n', false],
    ['\nx', false],
    ['a*', false],
  ])('%j valid: %s', (prefix, ok) => expect(validPrefix(prefix)).toBe(ok));
});

describe('archive names', () => {
  it('names by the UTC second, the compression and the encryption', () => {
    expect(archiveName('p', AT, false)).toBe('p_20261126_150405.tar');
    expect(archiveName('p', AT, true)).toBe('p_20261126_150405.tar.age');
    expect(archiveName('p', AT, false, 'zstd')).toBe(
      'p_20261126_150405.tar.zst',
    );
    expect(archiveName('p', AT, true, 'zstd')).toBe(
      'p_20261126_150405.tar.zst.age',
    );
    expect(archiveName('p', new Date('2026-01-02T03:04:05Z'), false)).toBe(
      'p_20260102_030405.tar',
    );
    expect(archiveNames('p', AT)).toEqual([
      'p_20261126_150405.tar',
      'p_20261126_150405.tar.age',
      'p_20261126_150405.tar.zst',
      'p_20261126_150405.tar.zst.age',
    ]);
  });

  it('refuses a bad prefix and a time outside years 1000 to 9999', () => {
    expect(() => archiveName('../x', AT, false)).toThrow(
      'archive prefix "../x" is not letters, digits',
    );
    expect(archiveName('p', new Date('1000-01-01T00:00:00Z'), false)).toBe(
      'p_10000101_000000.tar',
    );
    expect(archiveName('p', new Date('9999-12-31T23:59:59Z'), false)).toBe(
      'p_99991231_235959.tar',
    );
    for (const bad of [
      new Date('0999-12-31T23:59:59Z'),
      new Date('+010000-01-01T00:00:00Z'),
      new Date(NaN),
    ])
      expect(() => archiveName('p', bad, false)).toThrow(
        'cannot name an archive',
      );
  });

  it('parse(name(prefix, t)) gives back the prefix, the second, and the flags', () => {
    fc.assert(
      fc.property(
        prefixArb,
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.boolean(),
        fc.constantFrom('pg' as const, 'zstd' as const),
        (prefix, at, encrypted, compression) => {
          const name = archiveName(prefix, at, encrypted, compression);
          const second = new Date(Math.floor(at.getTime() / 1000) * 1000);
          expect(parseAnyArchiveName(name)).toEqual({
            prefix,
            at: second,
            encrypted,
            compression,
          });
          expect(parseArchiveName(prefix, name)).toEqual({
            at: second,
            encrypted,
            compression,
          });
        },
      ),
    );
  });

  it('an archive of one prefix is never one of another', () => {
    fc.assert(
      fc.property(prefixArb, prefixArb, fc.boolean(), (a, b, enc) => {
        fc.pre(a !== b);
        expect(parseArchiveName(b, archiveName(a, AT, enc))).toBeUndefined();
      }),
    );
    expect(parseArchiveName('p', 'p_x_20261126_150405.tar')).toBeUndefined();
    expect(parseArchiveName('p_x', 'p_x_20261126_150405.tar')?.at).toEqual(
      new Date('2026-11-26T15:04:05Z'),
    );
  });

  it.each([
    ['p_20261126_235959.tar', '2026-11-26T23:59:59.000Z'],
    ['p_20240229_000000.tar', '2024-02-29T00:00:00.000Z'],
    ['p_20261231_000000.tar', '2026-12-31T00:00:00.000Z'],
  ])('reads %s as %s', (name, iso) =>
    expect(parseAnyArchiveName(name)?.at.toISOString()).toBe(iso),
  );

  it.each([
    'p_20261126_240000.tar',
    'p_20261126_236000.tar',
    'p_20261126_235960.tar',
    'p_20250229_000000.tar',
    'p_20261131_000000.tar',
    'p_20261301_000000.tar',
    'p_20261200_000000.tar',
    'p_20261126_150405.tar.age.zst',
    'p_20261126_150405.tar.gz',
    'p_20261126_150405.tar ',
    ' p_20261126_150405.tar',
    'p_20261126_150405',
    'p-20261126_150405.tar',
    '_20261126_150405.tar',
    '-p_20261126_150405.tar',
    'p_2026112_150405.tar',
    'p_20261126_15040.tar',
    'p_20261126_156000.tar',
    'p_20261126_150460.tar',
    'x\np_20261126_150405.tar',
  ])('%j is no archive name', (name) =>
    expect(parseAnyArchiveName(name)).toBeUndefined(),
  );
});

describe('temporary names', () => {
  it('are the final name plus .tmp-<hex>', () => {
    expect(temporaryName('p_20261126_150405.tar', '0a9f')).toBe(
      'p_20261126_150405.tar.tmp-0a9f',
    );
    for (const bad of ['', 'xyz', '0A', '0a\n', '/0a'])
      expect(() => temporaryName('p.tar', bad)).toThrow('must be hex');
  });

  it('belong to the final archive of their prefix only', () => {
    expect(temporaryOf('p', 'p_20261126_150405.tar.age.tmp-01ab')).toBe(
      'p_20261126_150405.tar.age',
    );
    for (const name of [
      'p_20261126_150405.tar',
      'p_20261126_150405.tar.tmp-',
      'p_20261126_150405.tar.tmp-XY',
      'p_20261126_150405.tar.tmp-01ab.part',
      'q_20261126_150405.tar.tmp-01ab',
      'p_20261126_150405.bak.tmp-01ab',
      'x\np_20261126_150405.tar.tmp-01ab',
    ])
      expect(temporaryOf('p', name)).toBeUndefined();
  });
});

describe('clock skew', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  it('a name up to one hour ahead is believed, a millisecond more is not', () => {
    expect(
      isFromTheFuture(new Date(now.getTime() + MAX_CLOCK_SKEW_MS), now),
    ).toBe(false);
    expect(
      isFromTheFuture(new Date(now.getTime() + MAX_CLOCK_SKEW_MS + 1), now),
    ).toBe(true);
    expect(isFromTheFuture(new Date(0), now)).toBe(false);
  });

  it('manifest times: a second before the name to a day after it, not in the future', () => {
    const at = now.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(
      manifestTimeProblem(now, { endedAt: iso(at - 1000) }),
    ).toBeUndefined();
    expect(
      manifestTimeProblem(now, {
        endedAt: iso(at + MAX_NAME_MANIFEST_SKEW_MS),
      }),
    ).toBeUndefined();
    expect(manifestTimeProblem(now, { endedAt: iso(at - 1001) })).toBe(
      "the manifest says the backup ended 2026-11-26T11:59:58.999Z, 0.0 h before the time in the archive's name (2026-11-26T12:00:00.000Z): the name or the manifest was changed (at most 24.0 h apart is accepted)",
    );
    expect(
      manifestTimeProblem(now, {
        endedAt: iso(at + MAX_NAME_MANIFEST_SKEW_MS + 1),
      }),
    ).toMatch(/, 24\.0 h after the time in the archive's name/);
    expect(manifestTimeProblem(now, { endedAt: iso(at - 7_200_000) })).toMatch(
      /, 2\.0 h before/,
    );
    expect(manifestTimeProblem(now, { endedAt: 'yesterday' })).toBe(
      "the manifest's endedAt (yesterday) is not a time",
    );
    expect(manifestTimeProblem(now, {})).toBe(
      "the manifest's endedAt (undefined) is not a time",
    );
    const reader = new Date(at + 1000);
    expect(
      manifestTimeProblem(
        now,
        { endedAt: iso(at + 1000 + MAX_CLOCK_SKEW_MS) },
        reader,
      ),
    ).toBeUndefined();
    expect(
      manifestTimeProblem(
        now,
        { endedAt: iso(at + 1000 + MAX_CLOCK_SKEW_MS + 1) },
        reader,
      ),
    ).toBe(
      `the manifest says the backup ended ${iso(at + 1000 + MAX_CLOCK_SKEW_MS + 1)}, 1.0 h in the future`,
    );
  });
});

describe('assertNameFree', () => {
  it('passes for a missing directory or a free second, refuses a taken one', async () => {
    const dir = tempDir();
    await expect(
      assertNameFree(join(dir, 'none'), 'p', AT),
    ).resolves.toBeUndefined();
    writeFileSync(join(dir, 'p_20261126_150404.tar'), 'x');
    writeFileSync(join(dir, 'q_20261126_150405.tar'), 'x');
    writeFileSync(join(dir, 'q_20261126_150405.tar.tmp-ab'), 'x');
    writeFileSync(join(dir, 'p_20261126_150404.tar.tmp-ab'), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await expect(assertNameFree(dir, 'p', AT)).resolves.toBeUndefined();
    writeFileSync(join(dir, 'p_20261126_150405.tar.zst.age'), 'x');
    await expect(assertNameFree(dir, 'p', AT)).rejects.toThrow(
      `an archive for this second already exists: ${dir}/p_20261126_150405.tar.zst.age; archive names have one-second resolution, so two backups of prefix p cannot start in the same second`,
    );
  });

  it('refuses a second another run is writing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p_20261126_150405.tar.tmp-0f'), 'x');
    await expect(assertNameFree(dir, 'p', AT)).rejects.toThrow(
      `already is being written: ${dir}/p_20261126_150405.tar.tmp-0f`,
    );
  });

  it('rethrows other errors than a missing directory', async () => {
    const dir = tempDir();
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    await expect(assertNameFree(file, 'p', AT)).rejects.toThrow(/ENOTDIR/);
    mkdirSync(join(dir, 'sub'));
    await expect(
      assertNameFree(join(dir, 'sub'), 'p', AT),
    ).resolves.toBeUndefined();
  });
});
