// The file rules, table-driven: which entries are compressed, deleted or
// left alone, at the edges of each age.
import { describe, expect, it } from 'vitest';
import { parseContainerDir } from '../../../src/inputs/parsers.js';
import type { FileEntry } from '../../../src/procedures/housekeeping/pod-files.js';
import { parseEntries } from '../../../src/procedures/housekeeping/pod-files.js';
import {
  overlaps,
  selectLogs,
  selectTemp,
} from '../../../src/procedures/housekeeping/select.js';

const H = 3_600_000;
const D = 24 * H;
const now = Date.UTC(2026, 0, 31, 12);
const rules = {
  logPath: '/var/log/pqc-audit',
  compressAfter: 7 * D,
  deleteAfter: 30 * D,
  tempPath: '/tmp/pqc-cache',
  tempMaxAge: D,
};
const text = { compress: 'compress-after 7d', delete: 'delete-after 30d' };

function entry(path: string, age: number, type = 'f'): FileEntry {
  return {
    path,
    depth: 1,
    type,
    size: 10,
    mtime: ((now - age) / 1000).toFixed(3),
  };
}

describe('selectLogs', () => {
  it.each([
    ['a.log', 7 * D - H, undefined],
    ['a.log', 7 * D, undefined],
    ['a.log', 7 * D + 1000, 'gzip'],
    ['a.log', 31 * D, 'gzip'],
    ['a.log.gz', 29 * D, undefined],
    ['a.log.gz', 30 * D + 1000, 'delete'],
    ['a.txt', 90 * D, undefined],
    ['a.log.1', 90 * D, undefined],
    ['a.gz', 90 * D, undefined],
  ])('%s aged %d ms -> %s', (name, age, op) => {
    const r = selectLogs(
      [entry(`/var/log/pqc-audit/${name}`, age)],
      rules,
      now,
      text,
    );
    expect(r.actions.map((a) => a.op)[0]).toBe(op);
    expect(r.notes).toEqual([]);
  });

  it('never follows a symlink, and never overwrites an existing .gz', () => {
    const r = selectLogs(
      [
        entry('/var/log/pqc-audit/link.log', 40 * D, 'l'),
        entry('/var/log/pqc-audit/dir.log', 40 * D, 'd'),
        entry('/var/log/pqc-audit/b.log', 8 * D),
        entry('/var/log/pqc-audit/b.log.gz', 1 * D),
      ],
      rules,
      now,
      text,
    );
    expect(r.actions).toEqual([]);
    expect(r.notes.map((n) => n.path)).toEqual([
      '/var/log/pqc-audit/link.log',
      '/var/log/pqc-audit/b.log',
    ]);
    expect(r.notes[1]?.why).toMatch(
      /b\.log\.gz already exists: not compressed/,
    );
  });
});

describe('selectTemp', () => {
  it.each([
    [23 * H, undefined],
    [D + 1000, 'delete'],
  ])('a file aged %d ms -> %s', (age, op) => {
    const r = selectTemp(
      [entry('/tmp/pqc-cache/x', age)],
      rules,
      now,
      'temp-max-age 1d',
    );
    expect(r.actions.map((a) => a.op)[0]).toBe(op);
  });
  it('leaves directories and symlinks', () => {
    const r = selectTemp(
      [
        entry('/tmp/pqc-cache/d', 9 * D, 'd'),
        entry('/tmp/pqc-cache/l', 9 * D, 'l'),
      ],
      rules,
      now,
      'temp-max-age 1d',
    );
    expect(r.actions).toEqual([]);
    expect(r.notes.map((n) => n.path)).toEqual(['/tmp/pqc-cache/l']);
  });
});

describe('paths', () => {
  it.each([
    ['/var/log/pqc-audit/', '/var/log/pqc-audit'],
    ['/tmp//pqc-cache', '/tmp/pqc-cache'],
  ])('%s -> %s', (raw, want) => expect(parseContainerDir(raw)).toBe(want));
  it.each([
    ['/', /\/ is refused/],
    ['//', /\/ is refused/],
    ['var/log', /not an absolute path/],
    ['/var/../etc', /\.\. segment/],
    ['/proc/1', /kernel filesystem/],
    ['/var/log\n/etc', /control character/],
  ])('%j is refused', (raw, why) =>
    expect(() => parseContainerDir(raw)).toThrow(why),
  );
  it('overlap', () => {
    expect(overlaps('/a/b', '/a/b')).toBe(true);
    expect(overlaps('/a', '/a/b')).toBe(true);
    expect(overlaps('/a/b', '/a/bc')).toBe(false);
  });
  it('parses find -printf records, names with tabs and newlines included', () => {
    expect(
      parseEntries(
        '0\td\t4096\t1.5\t/x\x001\tf\t3\t1700000000.25\t/x/a\tb\nc.log\0',
      ),
    ).toEqual([
      { depth: 0, type: 'd', size: 4096, mtime: '1.5', path: '/x' },
      {
        depth: 1,
        type: 'f',
        size: 3,
        mtime: '1700000000.25',
        path: '/x/a\tb\nc.log',
      },
    ]);
  });
});
