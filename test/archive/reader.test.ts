// The archive reader's guards, in process: the strict tar walk (end marker,
// padding, entry types, pax sizes), the size caps, the first-member rule,
// the per-member sha256 of a restore, and how an archive is opened (age,
// zstd, local or remote).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp.js';
import { parseIdentities } from '../../src/archive/age.js';
import {
  hashChunks,
  isRemote,
  openAny,
  openArchive,
  openArchiveStream,
  readManifest,
  readSmall,
  readTar,
  withMember,
  type MemberStream,
} from '../../src/archive/archive-reader.js';
import {
  BLOCK,
  endOfArchive,
  entryHeader,
  padding,
  streamedEntryHeader,
} from '../../src/archive/tar.js';
import { rawFrame } from '../../src/archive/zstd.js';

const tempDir = tempDirs('reader');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function member(name: string, data: Buffer): Buffer {
  return Buffer.concat([
    entryHeader({ name, size: data.length, mtime: 0 }),
    data,
    padding(data.length),
  ]);
}

/** A header block with another type or size, its checksum recomputed. */
function rewrite(h: Buffer, o: { type?: string; size?: number }): Buffer {
  const b = Buffer.from(h);
  if (o.type !== undefined) b.write(o.type, 156, 'latin1');
  if (o.size !== undefined)
    b.write(o.size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (b[i] ?? 0);
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

async function names(
  src: AsyncIterable<Buffer>,
  read = true,
): Promise<string[]> {
  const out: string[] = [];
  for await (const m of readTar(src)) {
    out.push(
      `${m.name}:${m.size}${read ? `:${(await readSmall(m)).toString()}` : ''}`,
    );
  }
  return out;
}
const chunks = (b: Buffer, size = b.length) => {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return Readable.from(out);
};

const A = Buffer.from('alpha');
const B = Buffer.from('b'.repeat(BLOCK));
const TAR = Buffer.concat([member('a', A), member('b', B), endOfArchive()]);

describe('readTar', () => {
  it('walks members, whatever the chunking, read or left unread', async () => {
    for (const size of [1, 7, 512, TAR.length])
      expect(await names(chunks(TAR, size))).toEqual([
        'a:5:alpha',
        `b:512:${B.toString()}`,
      ]);
    expect(await names(chunks(TAR), false)).toEqual(['a:5', 'b:512']);
    // Zeros after the marker (tar's record padding) are fine.
    expect(
      await names(chunks(Buffer.concat([TAR, Buffer.alloc(4 * BLOCK)]))),
    ).toHaveLength(2);
  });

  it('skips the unread rest of a half-read member', async () => {
    const out: string[] = [];
    for await (const m of readTar(chunks(TAR, 3))) {
      const it = m.body[Symbol.asyncIterator]();
      const first = await it.next();
      out.push(`${m.name}:${(first.value as Buffer).toString()}`);
    }
    expect(out).toEqual(['a:a', 'b:bbb']);
  });

  it('takes the size of a pax header over the ustar one', async () => {
    const data = Buffer.from('pax sized');
    const h = streamedEntryHeader({ name: 'p', size: data.length, mtime: 0 });
    const fixed = Buffer.concat([
      h.subarray(0, 2 * BLOCK),
      rewrite(h.subarray(2 * BLOCK), { size: 0 }),
    ]);
    const tar = Buffer.concat([
      fixed,
      data,
      padding(data.length),
      member('q', A),
      endOfArchive(),
    ]);
    expect(await names(chunks(tar))).toEqual(['p:9:pax sized', 'q:5:alpha']);
  });

  it.each([
    [
      'no end-of-archive marker',
      Buffer.concat([member('a', A)]),
      'the archive is truncated: no end-of-archive marker',
    ],
    [
      'a cut block',
      Buffer.concat([member('a', A), Buffer.alloc(100)]),
      'the archive is truncated',
    ],
    [
      'one zero block only',
      Buffer.concat([member('a', A), Buffer.alloc(BLOCK)]),
      'the archive has a damaged end-of-archive marker',
    ],
    [
      'a damaged second marker block',
      Buffer.concat([
        member('a', A),
        Buffer.alloc(BLOCK),
        Buffer.alloc(BLOCK, 1),
      ]),
      'the archive has a damaged end-of-archive marker',
    ],
    [
      'data after the marker',
      Buffer.concat([TAR, Buffer.from([0, 0, 7])]),
      'the archive has data after its end-of-archive marker',
    ],
    [
      'damaged padding',
      Buffer.concat([
        entryHeader({ name: 'a', size: 5, mtime: 0 }),
        A,
        Buffer.alloc(BLOCK - 5, 1),
        endOfArchive(),
      ]),
      'the archive has damaged padding after a',
    ],
    [
      'cut padding',
      Buffer.concat([
        entryHeader({ name: 'a', size: 5, mtime: 0 }),
        A,
        Buffer.alloc(10),
      ]),
      'the archive is truncated',
    ],
    [
      'a directory entry',
      Buffer.concat([
        rewrite(entryHeader({ name: 'd', size: 0, mtime: 0 }), { type: '5' }),
        endOfArchive(),
      ]),
      'the archive holds an unexpected entry type "5" (d)',
    ],
    [
      'a symlink entry',
      Buffer.concat([
        rewrite(entryHeader({ name: 'l', size: 0, mtime: 0 }), { type: '2' }),
        endOfArchive(),
      ]),
      'unexpected entry type "2" (l)',
    ],
  ])('refuses %s', async (_, tar, message) => {
    await expect(names(chunks(tar, 100))).rejects.toThrow(message);
  });
});

function stream(name: string, data: Buffer): MemberStream {
  return {
    name,
    size: data.length,
    body: (async function* () {
      yield await Promise.resolve(data);
    })(),
  };
}

describe('small members', () => {
  it('reads up to the cap, refuses one byte more', async () => {
    expect(
      (await readSmall(stream('m', Buffer.from('1234')), 4)).toString(),
    ).toBe('1234');
    await expect(
      readSmall(stream('m', Buffer.from('12345')), 4),
    ).rejects.toThrow('m is 5 bytes, more than expected');
    const big = {
      name: 'x',
      size: 64 * 1024 * 1024 + 1,
      body: stream('x', A).body,
    };
    await expect(readSmall(big)).rejects.toThrow('x is 67108865 bytes');
    const bigManifest = {
      ...big,
      name: 'manifest.json',
      size: 256 * 1024 * 1024 + 1,
    };
    await expect(readManifest(bigManifest)).rejects.toThrow(
      'manifest.json is 268435457 bytes',
    );
  });

  it('the manifest must come first, be JSON and be valid', async () => {
    await expect(readManifest(undefined)).rejects.toThrow(
      'the archive does not start with manifest.json',
    );
    await expect(readManifest(stream('database.dump', A))).rejects.toThrow(
      'the archive does not start with manifest.json',
    );
    await expect(readManifest(stream('manifest.json', A))).rejects.toThrow(
      'manifest.json is not valid JSON',
    );
    await expect(
      readManifest(stream('manifest.json', Buffer.from('{"format":"x"}'))),
    ).rejects.toThrow('manifest.json is not a pqc-ops backup manifest');
    const ok = { format: 'pqc-ops-backup', formatVersion: 1, members: [] };
    expect(
      await readManifest(
        stream('manifest.json', Buffer.from(JSON.stringify(ok))),
      ),
    ).toEqual(ok);
  });

  it('hashChunks counts, hashes and passes every chunk on', async () => {
    const seen: string[] = [];
    const r = await hashChunks(Readable.from([A, B]), (c) => {
      seen.push(c.toString().slice(0, 1));
    });
    expect(r).toEqual({
      sha256: sha(Buffer.concat([A, B])),
      size: A.length + B.length,
    });
    expect(seen).toEqual(['a', 'b']);
    expect(await hashChunks(Readable.from([]))).toEqual({
      sha256: sha(Buffer.alloc(0)),
      size: 0,
    });
  });
});

describe('opening archives', () => {
  it('withMember streams the named member, checked against its sha256', async () => {
    const dir = tempDir();
    const path = join(dir, 'p_20261126_150405.tar');
    writeFileSync(path, TAR);
    let got = '';
    await withMember(path, [], 'b', sha(B), async (c) => {
      for await (const x of c) got += x.toString();
    });
    expect(got).toBe(B.toString());
    await expect(
      withMember(path, [], 'a', sha(B), async (c) => {
        for await (const _ of c) void _;
      }),
    ).rejects.toThrow('a changed between verification and restore');
    await expect(
      withMember(path, [], 'c', sha(A), () => Promise.resolve()),
    ).rejects.toThrow('the archive has no c');
  });

  it('decompresses zstd recognised by its content, whatever the chunking', async () => {
    const z = Buffer.concat([
      rawFrame(TAR.subarray(0, 700)),
      rawFrame(TAR.subarray(700)),
    ]);
    for (const size of [1, 3, 4, z.length])
      expect(
        await names(openArchiveStream(chunks(z, size), 'x.tar.zst', [])),
      ).toEqual(['a:5:alpha', `b:512:${B.toString()}`]);
    // Three bytes of a zstd magic are not zstd.
    const out: Buffer[] = [];
    for await (const c of openArchiveStream(
      chunks(Buffer.from([0x28, 0xb5, 0x2f]), 1),
      'x.tar',
      [],
    ))
      out.push(c);
    expect(Buffer.concat(out)).toEqual(Buffer.from([0x28, 0xb5, 0x2f]));
  });

  it('needs identities for .age, a regular file, and a store for a URL', async () => {
    expect(() => openArchiveStream(chunks(TAR), 'x.tar.age', [])).toThrow(
      "x.tar.age is encrypted: give input 'age-identity'",
    );
    expect(() => openArchive('/dev/null', [])).toThrow('the archive /dev/null');
    // Refused before the file is even opened.
    expect(() => openArchive('/no/such/x.tar.age', [])).toThrow(
      "/no/such/x.tar.age is encrypted: give input 'age-identity'",
    );
    expect(() => openAny('s3://b/x.tar', [])).toThrow(
      'cannot open s3://b/x.tar: no store configured',
    );
    const opened: string[] = [];
    const remote = (url: string) => {
      opened.push(url);
      return Promise.resolve(chunks(TAR, 100));
    };
    expect(await names(openAny('s3://b/k/x.tar', [], remote))).toHaveLength(2);
    expect(opened).toEqual(['s3://b/k/x.tar']);
    await expect(
      names(openAny('s3://b/k/x.tar.age', [], remote)),
    ).rejects.toThrow("x.tar.age is encrypted: give input 'age-identity'");
  });

  it('an error of an encrypted source reaches the reader', async () => {
    const identities = parseIdentities(
      readFileSync(
        join(import.meta.dirname, '../fixtures/format-v1/identity.txt'),
        'utf8',
      ),
    );
    const src = new Readable({
      read() {
        this.destroy(new Error('the connection dropped'));
      },
    });
    await expect(
      names(openArchiveStream(src, 'x.tar.age', identities)),
    ).rejects.toThrow('the connection dropped');
  });

  it.each([
    ['s3://bucket/key', true],
    ['https://x.example/a', true],
    ['a+b.c-d://x', true],
    ['/backups/x.tar', false],
    ['backups/x.tar', false],
    ['C:\\x.tar', false],
    ['1s3://x', false],
    ['S3://x', false],
    ['x s3://y', false],
    ['s3:/x', false],
  ])('%s is remote: %s', (path, remote) => expect(isRemote(path)).toBe(remote));
});
