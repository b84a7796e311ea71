import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar } from '../../src/archive/archive-reader.js';
import { parseRecipients } from '../../src/archive/age.js';
import { createBackup } from '../../src/archive/create.js';
import { locateArchive, prefixOf } from '../../src/archive/locate.js';
import {
  archiveName,
  assertNameFree,
  parseAnyArchiveName,
  parseArchiveName,
} from '../../src/archive/naming.js';
import {
  listArchives,
  planRetention,
  staleTemporaries,
  type FoundArchive,
} from '../../src/archive/retention.js';
import { LocalRunner } from '../../src/process/runner.js';
import { endOfArchive, entryHeader, padding } from '../../src/archive/tar.js';

describe('tar', () => {
  it('writes ustar that GNU tar reads, and a pax size record for huge members', async () => {
    const data = Buffer.from('héllo ✓');
    const tar = Buffer.concat([
      entryHeader({ name: 'a.txt', size: data.length, mtime: 1700000000 }),
      data,
      padding(data.length),
      endOfArchive(),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    writeFileSync(join(dir, 't.tar'), tar);
    expect(
      execFileSync('tar', ['-xOf', join(dir, 't.tar'), 'a.txt']).toString(),
    ).toBe('héllo ✓');
    const members = [];
    for await (const m of readTar(Readable.from([tar]))) members.push(m.name);
    expect(members).toEqual(['a.txt']);
    const big = entryHeader({ name: 'big', size: 9 * 1024 ** 3, mtime: 0 });
    expect(big.length).toBe(3 * 512);
    expect(big.subarray(512, 1024).toString()).toMatch(
      /^\d+ size=9663676416\n/,
    );
  });

  it('refuses a damaged header', async () => {
    const tar = Buffer.concat([
      entryHeader({ name: 'a', size: 0, mtime: 0 }),
      endOfArchive(),
    ]);
    tar[3] = 0x41;
    await expect(
      (async () => {
        for await (const _ of readTar(Readable.from([tar]))) void _;
      })(),
    ).rejects.toThrow(/checksum mismatch/);
  });
});

describe('archive names and retention', () => {
  const at = new Date('2025-03-04T05:06:07Z');
  it('names archives in UTC and parses only exact names', () => {
    expect(archiveName('p', at, true)).toBe('p_20250304_050607.tar.age');
    expect(parseArchiveName('p', 'p_20250304_050607.tar')?.at).toEqual(at);
    for (const n of [
      'p_20250304_050607.tar.gz',
      'px_20250304_050607.tar',
      'p_20251304_050607.tar',
      'p_20250304_050607.tar.age.tmp-ab',
    ]) {
      expect(parseArchiveName('p', n)).toBeUndefined();
    }
  });

  it('one naming definition: prefixOf takes only names that parse as archives', () => {
    // Safety backups of restore carry their own prefix.
    expect(
      prefixOf('/b/pqc-audit-emergency_20250304_050607.tar.age', 'x'),
    ).toBe('pqc-audit-emergency');
    // Not archive names: no valid prefix, no real date, or another extension.
    for (const n of [
      '/b/bad prefix_20250304_050607.tar',
      '/b/p_20251399_050607.tar',
      '/b/p_20250304_250607.tar',
      '/b/p_20250304_050607.tar.gz',
    ])
      expect(prefixOf(n, 'fallback')).toBe('fallback');
    // A prefix may itself end in something that looks like a stamp.
    expect(
      parseAnyArchiveName('a_20250101_000000_20250304_050607.tar'),
    ).toEqual({
      prefix: 'a_20250101_000000',
      at,
      encrypted: false,
      compression: 'pg',
    });
    expect(parseArchiveName('a', 'a_20250101_000000_20250304_050607.tar')).toBe(
      undefined,
    );
    expect(() => archiveName('bad prefix', at, false)).toThrow(/prefix/);
  });

  const mk = (days: number): FoundArchive => ({
    name: `d${days}`,
    path: `/x/d${days}`,
    at: new Date(at.getTime() - days * 86_400_000),
    encrypted: false,
    compression: 'pg',
  });
  it.each([
    {
      days: 30,
      keep: 3,
      list: [0, 10, 31, 40, 50],
      expired: ['d40', 'd50'],
    },
    { days: 30, keep: 3, list: [40, 50, 60], expired: [] },
    { days: 30, keep: 1, list: [0, 40], expired: ['d40'] },
    { days: 0, keep: 0, list: [400], expired: [] },
  ])('retention $days d / keep $keep', ({ days, keep, list, expired }) => {
    const plan = planRetention(list.map(mk), at, days, keep);
    expect(plan.expired.map((a) => a.name)).toEqual(expired);
  });

  it('a garbage archive named for 2999 does not hold a keep-last slot, and is reported, not deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ret-future-'));
    const now = new Date('2025-03-04T05:06:07Z');
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000);
    for (const t of [new Date('2999-01-01T00:00:00Z'), days(40), days(50)])
      writeFileSync(join(dir, archiveName('p', t, false)), 'x');
    // 59 minutes ahead is clock skew: trusted.
    const skewed = archiveName(
      'p',
      new Date(now.getTime() + 59 * 60_000),
      true,
    );
    writeFileSync(join(dir, skewed), 'x');
    const plan = planRetention(await listArchives(dir, 'p'), now, 30, 3);
    expect(plan.future.map((a) => a.name)).toEqual(['p_29990101_000000.tar']);
    expect(plan.keep.map((a) => a.name)).toEqual([
      skewed,
      archiveName('p', days(40), false),
      archiveName('p', days(50), false),
    ]);
    expect(plan.expired).toEqual([]);
  });

  it('locate does not pick an archive named from the future as the newest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loc-future-'));
    const now = new Date('2025-03-04T05:06:07Z');
    writeFileSync(join(dir, 'p_29990101_000000.tar'), 'garbage');
    writeFileSync(join(dir, archiveName('p', now, false)), 'x');
    const found = await locateArchive({
      archive: undefined,
      destination: dir,
      prefix: 'p',
      now,
    });
    expect(found.path).toBe(join(dir, archiveName('p', now, false)));
    expect(found.future.map((f) => f.name)).toEqual(['p_29990101_000000.tar']);
  });

  it('stale temporaries are those of exact archive names of the prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ret-tmp-'));
    for (const n of [
      'p_20250304_050607.tar.age.tmp-0a1b',
      'p_20250304_050607.tar.tmp-ff',
      'q_20250304_050607.tar.tmp-ff',
      'p_20250304_050607.tar.tmp-zz',
    ])
      writeFileSync(join(dir, n), 'x');
    const stale = await staleTemporaries(
      dir,
      'p',
      new Date(Date.now() + 10_000),
      0,
    );
    expect(stale.map((s) => s.slice(dir.length + 1)).sort()).toEqual([
      'p_20250304_050607.tar.age.tmp-0a1b',
      'p_20250304_050607.tar.tmp-ff',
    ]);
  });
});

describe('two backups in the same second', () => {
  const now = new Date('2025-03-04T05:06:07.250Z');
  it('assertNameFree refuses the name of this second, plain or encrypted, or being written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'name-free-'));
    await expect(assertNameFree(dir, 'p', now)).resolves.toBeUndefined();
    await expect(
      assertNameFree(join(dir, 'missing'), 'p', now),
    ).resolves.toBeUndefined();
    writeFileSync(join(dir, 'p_20250304_050606.tar'), 'x'); // the second before
    writeFileSync(join(dir, 'q_20250304_050607.tar'), 'x'); // another prefix
    await expect(assertNameFree(dir, 'p', now)).resolves.toBeUndefined();
    writeFileSync(join(dir, 'p_20250304_050607.tar.age.tmp-ab12'), '');
    await expect(assertNameFree(dir, 'p', now)).rejects.toThrow(
      /already is being written: .*p_20250304_050607\.tar\.age\.tmp-ab12/,
    );
    const d2 = mkdtempSync(join(tmpdir(), 'name-free-'));
    writeFileSync(join(d2, 'p_20250304_050607.tar'), 'x');
    await expect(assertNameFree(d2, 'p', now)).rejects.toThrow(
      /already exists: .*p_20250304_050607\.tar; .*same second/,
    );
  });

  it('a second backup in the same second fails before it dumps anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'same-second-'));
    const data = mkdtempSync(join(tmpdir(), 'same-second-data-'));
    writeFileSync(join(data, 'f'), 'app data');
    writeFileSync(join(dir, archiveName('p', now, false)), 'earlier run');
    const settings = {
      dir,
      prefix: 'p',
      allowPlaintextSecrets: false,
      now: () => now,
      info: (m: string) => infos.push(m),
      mask: () => undefined,
      version: 'test',
    };
    const infos: string[] = [];
    await expect(
      createBackup(
        { appdata: { runner: new LocalRunner(), path: data } },
        settings,
      ),
    ).rejects.toThrow(/same second .*nothing was dumped/);
    // Nothing was spooled: the app data was never read.
    expect(infos.filter((m) => m.startsWith('appdata'))).toEqual([]);
    expect(readdirSync(dir)).toEqual([archiveName('p', now, false)]);
    // A second later the same backup goes through.
    mkdirSync(join(dir, 'sub'));
    const later = await createBackup(
      { appdata: { runner: new LocalRunner(), path: data } },
      { ...settings, dir: join(dir, 'sub') },
    );
    expect(later.archive.path).toBe(
      join(dir, 'sub', archiveName('p', now, false)),
    );
  });
});

describe('recipients', () => {
  it('refuses a malformed recipient, naming the input and the form', async () => {
    await expect(parseRecipients(['age1notarecipient'])).rejects.toThrow(
      /input 'age-recipients'.*age1\.\.\. \(X25519\) or age1pq1\.\.\./,
    );
  });
});
