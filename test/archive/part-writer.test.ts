// The PartWriter cuts an archive into parts stored out of order, with holes
// filled at the end. What the parts make together must be, byte for byte,
// what a plain writer would have made: read back here with the age and zstd
// command-line tools, not with our own readers.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as age from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { createChunkSealer } from '../../src/archive/age.js';
import { PartWriter, type PartLayout } from '../../src/archive/part-writer.js';
import { checkReadBack } from '../../src/archive/target.js';
import { decompressFrames } from '../../src/archive/zstd.js';
import { run } from '../helpers/procedure.js';

const K64 = 64 * 1024;
const layout: PartLayout = {
  partSize: 4 * K64,
  minPartSize: 2 * K64,
  maxParts: 10_000,
  inFlight: 2,
};

/** A sink that keeps parts in memory, stored in a shuffled order. */
function memorySink() {
  const parts = new Map<number, { offset: number; data: Buffer }>();
  const order: number[] = [];
  return {
    parts,
    order,
    sink: {
      async put(n: number, offset: number, data: Buffer[]) {
        // Later parts overtake earlier ones.
        await new Promise((r) => setTimeout(r, (n * 7) % 5));
        order.push(n);
        parts.set(n, { offset, data: Buffer.concat(data) });
      },
    },
    assemble(): Buffer {
      const sorted = [...parts.entries()].sort((a, b) => a[0] - b[0]);
      let at = 0;
      for (const [, p] of sorted) {
        expect(p.offset).toBe(at);
        at += p.data.length;
      }
      return Buffer.concat(sorted.map(([, p]) => p.data));
    },
  };
}

/** Compressible and incompressible runs, with holes between them. */
async function writeSample(w: PartWriter, zstd: boolean): Promise<Buffer> {
  const expected: Buffer[] = [];
  const headHole = await w.hole(1000);
  const head = randomBytes(1000);
  expected.push(head);
  for (let i = 0; i < 40; i++) {
    // Compressed, the repeated runs would fit in a part or two.
    const b =
      i % 3 === 0 || zstd
        ? randomBytes(20_000 + i)
        : Buffer.alloc(30_000 + i, i);
    expected.push(Buffer.from(b));
    await w.write(b);
    // Once write() resolves the caller may reuse its buffer (a reused pipe
    // read does): the archive must hold what was written, not this.
    b.fill(0x5a);
    if (i === 17) {
      const mid = await w.hole(3 * K64 + 5);
      const fill = randomBytes(3 * K64 + 5);
      expected.push(fill);
      await w.fill(mid, fill);
    }
  }
  await w.fill(headHole, head);
  return Buffer.concat(expected);
}

describe('PartWriter', () => {
  const cases = [
    { zstd: false, encrypted: false },
    { zstd: true, encrypted: false },
    { zstd: false, encrypted: true },
    { zstd: true, encrypted: true },
  ];
  it.each(cases)(
    'zstd $zstd, age $encrypted: parts stored out of order make one file the CLI tools read',
    async ({ zstd, encrypted }) => {
      const identity = await age.generateX25519Identity();
      const sealer = encrypted
        ? await createChunkSealer({
            kind: 'x25519',
            list: [await age.identityToRecipient(identity)],
          })
        : undefined;
      const m = memorySink();
      const w = new PartWriter({
        sink: m.sink,
        layout,
        zstd,
        sealer,
        frameSize: 50_000,
      });
      const plain = await writeSample(w, zstd);
      const { parts, size } = await w.end();
      expect(parts.length).toBeGreaterThan(3);
      // Parts were stored out of order, and the ones with holes later still.
      expect(m.order).not.toEqual([...m.order].sort((a, b) => a - b));
      const file = m.assemble();
      expect(file.length).toBe(size);
      // Every non-last part is a whole number of age chunks (or bytes).
      for (const p of parts.slice(0, -1)) expect(p.size).toBeGreaterThan(0);

      const dir = mkdtempSync(join(tmpdir(), 'pw-'));
      writeFileSync(join(dir, 'archive'), file);
      writeFileSync(join(dir, 'key'), identity + '\n');
      const pipeline = [
        encrypted ? `age -d -i key archive` : 'cat archive',
        ...(zstd ? ['zstd -dc'] : []),
      ].join(' | ');
      const r = await run('sh', ['-c', `cd ${dir} && ${pipeline} | sha256sum`]);
      expect(r.code).toBe(0);
      expect(r.stdout.toString().slice(0, 64)).toBe(
        createHash('sha256').update(plain).digest('hex'),
      );
      if (zstd && !encrypted) {
        // Our own reader too: every frame, in order.
        const out: Buffer[] = [];
        for await (const c of decompressFrames(Readable.from([file])))
          out.push(c);
        expect(Buffer.concat(out).equals(plain)).toBe(true);
      }
      // The read-back check accepts the file and names a changed part.
      await expect(
        checkReadBack(Readable.from([file]), parts, size),
      ).resolves.toMatchObject({ size });
      const bad = Buffer.from(file);
      const victim = parts[1];
      bad[victim.offset + 3] ^= 0xff;
      await expect(
        checkReadBack(Readable.from([bad]), parts, size),
      ).rejects.toThrow(`in part ${victim.n} `);
    },
  );

  it('a failing sink fails the writer; nothing is reported as stored', async () => {
    let calls = 0;
    const w = new PartWriter({
      sink: {
        put() {
          return ++calls === 2
            ? Promise.reject(new Error('store said 500'))
            : Promise.resolve();
        },
      },
      layout,
      zstd: false,
    });
    const hole = await w.hole(10);
    const write = async () => {
      for (let i = 0; i < 100; i++) await w.write(Buffer.alloc(K64, 1));
      await w.fill(hole, Buffer.alloc(10));
      return w.end();
    };
    await expect(write()).rejects.toThrow('store said 500');
    await w.settle();
  });

  it('refuses an archive that needs more parts than the store allows', async () => {
    const w = new PartWriter({
      sink: { put: () => Promise.resolve() },
      layout: { ...layout, maxParts: 3 },
      zstd: false,
    });
    const write = async () => {
      for (let i = 0; i < 20; i++) await w.write(Buffer.alloc(K64));
      return w.end();
    };
    await expect(write()).rejects.toThrow(
      'the archive needs more than 3 parts: raise the part size',
    );
  });
});
