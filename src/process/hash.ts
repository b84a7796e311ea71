import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

/** Counts and hashes what passes through. */
export class HashCounter extends Transform {
  private readonly h = createHash('sha256');
  size = 0;
  override _transform(
    c: Buffer,
    _e: BufferEncoding,
    cb: TransformCallback,
  ): void {
    this.h.update(c);
    this.size += c.length;
    cb(null, c);
  }
  digest(): string {
    return this.h.digest('hex');
  }
}

/** sha256 and size of a file, read into one reused buffer (no garbage per chunk). */
export async function hashFile(
  path: string,
): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  const fh = await open(path, 'r');
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { sha256: h.digest('hex'), size };
}
