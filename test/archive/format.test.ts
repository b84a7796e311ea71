import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar } from '../../src/archive/archive-reader.js';
import { parseRecipients } from '../../src/archive/age.js';
import {
  archiveName,
  parseArchiveName,
  planRetention,
  type FoundArchive,
} from '../../src/archive/retention.js';
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

  const mk = (days: number): FoundArchive => ({
    name: `d${days}`,
    path: `/x/d${days}`,
    at: new Date(at.getTime() - days * 86_400_000),
    encrypted: false,
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
});

describe('recipients', () => {
  it('refuses a malformed recipient, naming the input and the form', async () => {
    await expect(parseRecipients(['age1notarecipient'])).rejects.toThrow(
      /input 'age-recipients'.*age1\.\.\. \(X25519\) or age1pq1\.\.\./,
    );
  });
});
