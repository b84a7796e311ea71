import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArchive, readTar } from '../../src/archive/archive-reader.js';
import {
  FileReadError,
  formatLimit,
  readFileCapped,
  readFileCappedSync,
} from '../../src/process/read-file.js';

const MiB = 1024 * 1024;

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'read-file-'));
}

function fifo(): string {
  const p = join(scratch(), 'fifo');
  execFileSync('mkfifo', [p]);
  return p;
}

type Reader = (path: string, max: number, what: string) => Promise<string>;
const readers: [string, Reader][] = [
  ['readFileCapped', readFileCapped],
  [
    'readFileCappedSync',
    (p, m, w) => Promise.resolve().then(() => readFileCappedSync(p, m, w)),
  ],
];

async function failure(
  r: Reader,
  path: string,
  max = MiB,
): Promise<FileReadError> {
  const e = await r(path, max, 'the test file').catch((x: unknown) => x);
  expect(e).toBeInstanceOf(FileReadError);
  expect((e as Error).message).not.toContain('\n');
  return e as FileReadError;
}

describe.each(readers)(
  '%s (security review: reads have no size limits)',
  (_, read) => {
    it('reads a regular file within the limit, up to exactly the limit', async () => {
      const p = join(scratch(), 'f');
      writeFileSync(p, 'x'.repeat(1024));
      expect(await read(p, 1024, 'the test file')).toBe('x'.repeat(1024));
    });

    it('a file larger than the limit is refused naming what and the limit', async () => {
      const p = join(scratch(), 'f');
      writeFileSync(p, 'x'.repeat(MiB + 1));
      const e = await failure(read, p);
      expect(e.code).toBe('too-large');
      expect(e.message).toBe('the test file is larger than the limit of 1 MiB');
    });

    it('a file whose size is unknown up front is still capped while reading', async () => {
      // /proc files stat as empty regular files but have content.
      const e = await failure(read, '/proc/self/status', 64);
      expect(e.code).toBe('too-large');
      expect(e.message).toBe(
        'the test file is larger than the limit of 64 bytes',
      );
    });

    it('a device such as /dev/zero is refused at once, not read forever', async () => {
      const e = await failure(read, '/dev/zero');
      expect(e.code).toBe('not-regular');
      expect(e.message).toBe('the test file is a device, not a regular file');
    });

    it('a FIFO is refused without waiting for a writer', async () => {
      const e = await failure(read, fifo());
      expect(e.message).toBe('the test file is a FIFO, not a regular file');
    });

    it('a directory is refused', async () => {
      const e = await failure(read, scratch());
      expect(e.message).toBe(
        'the test file is a directory, not a regular file',
      );
    });

    it('a missing file says so', async () => {
      const e = await failure(read, join(scratch(), 'nope'));
      expect(e.code).toBe('missing');
      expect(e.message).toBe('the test file does not exist');
    });
  },
);

describe('archives are opened as regular files only', () => {
  it('archive /dev/zero fails at once with a clear error instead of hanging', () => {
    expect(() => openArchive('/dev/zero', [])).toThrow(
      'the archive /dev/zero is a device, not a regular file',
    );
  });

  it('archive that is a FIFO or a directory fails at once', () => {
    const f = fifo();
    expect(() => openArchive(f, [])).toThrow(`the archive ${f} is a FIFO`);
    const d = scratch();
    expect(() => openArchive(d, [])).toThrow(`the archive ${d} is a directory`);
  });

  it('archive that is a regular tar file still streams', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'manifest.json'), '{}');
    const tar = join(dir, 'a.tar');
    execFileSync('tar', [
      '--format=ustar',
      '-cf',
      tar,
      '-C',
      dir,
      'manifest.json',
    ]);
    const names: string[] = [];
    for await (const m of readTar(openArchive(tar, []))) {
      names.push(m.name);
      for await (const c of m.body) void c;
    }
    expect(names).toEqual(['manifest.json']);
  });
});

it.each([
  [MiB, '1 MiB'],
  [64 * 1024, '64 KiB'],
  [1000, '1000 bytes'],
])('formatLimit(%d) is %s', (n, s) => expect(formatLimit(n)).toBe(s));
