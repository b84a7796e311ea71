// A long command's stdout read into one reused buffer through a FIFO
// (LocalRunner with reuseReads): every byte arrives in order even when the
// consumer is slow, the buffer really is reused, a failing consumer or a
// kill ends the read instead of hanging it, and no FIFO is left behind.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { forEachChunk, LocalRunner } from '../../src/process/runner.js';

const runner = new LocalRunner();
const fifos = () =>
  readdirSync(tmpdir()).filter((n) => n.startsWith('pqc-ops-fifo-'));
// 1..N, one number a line: about 7 MB, many reads.
const N = 1_000_000;
const expected = createHash('sha256');
for (let i = 1; i <= N; i++) expected.update(`${i}\n`);
const expectedHex = expected.digest('hex');

describe('LocalRunner with reuseReads', () => {
  it('delivers every byte in order to a slow consumer, in one reused buffer', async () => {
    const cmd = await runner.start(['seq', '1', String(N)], {
      reuseReads: true,
    });
    expect(fifos()).toEqual([]);
    expect(typeof cmd.eachChunk).toBe('function');
    const h = createHash('sha256');
    const buffers = new Set<ArrayBufferLike>();
    let reads = 0;
    await forEachChunk(cmd, async (c) => {
      buffers.add(c.buffer);
      reads++;
      // The next read must wait for this: were it to overwrite the buffer
      // now, the hash below would differ.
      await new Promise((r) => setImmediate(r));
      h.update(c);
    });
    expect(await cmd.done).toBe(0);
    expect(h.digest('hex')).toBe(expectedHex);
    expect(reads).toBeGreaterThan(10);
    expect(buffers.size).toBe(1);
  });

  it('a consumer that fails ends the read with its error, and the command can be killed', async () => {
    const cmd = await runner.start(['seq', '1', String(N * 10)], {
      reuseReads: true,
    });
    let seen = 0;
    await expect(
      forEachChunk(cmd, (c) => {
        seen += c.length;
        if (seen > 100_000) throw new Error('archive full');
      }),
    ).rejects.toThrow('archive full');
    cmd.kill();
    expect(await cmd.done).not.toBe(0);
  });

  it('kill() while a read waits for the consumer ends the read, not hangs it', async () => {
    const cmd = await runner.start(['seq', '1', String(N * 10)], {
      reuseReads: true,
    });
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const reading = forEachChunk(cmd, async () => {
      release();
      await new Promise((r) => setTimeout(r, 50));
    });
    await first;
    cmd.kill();
    await expect(reading).rejects.toThrow('closed before its end');
    expect(await cmd.done).toBe(143);
  });

  it('a command that is not installed: no output, and done says so', async () => {
    const cmd = await runner.start(['pqc-ops-no-such-command'], {
      reuseReads: true,
    });
    let bytes = 0;
    await forEachChunk(cmd, (c) => void (bytes += c.length));
    expect(bytes).toBe(0);
    await expect(cmd.done).rejects.toThrow(
      'pqc-ops-no-such-command is not installed on this machine',
    );
    expect(fifos()).toEqual([]);
  });

  it('without reuseReads: an ordinary pipe, read the same way', async () => {
    const cmd = await runner.start(['seq', '1', String(N)]);
    expect('eachChunk' in cmd).toBe(false);
    const h = createHash('sha256');
    await forEachChunk(cmd, (c) => void h.update(c));
    expect(await cmd.done).toBe(0);
    expect(h.digest('hex')).toBe(expectedHex);
  });
});
