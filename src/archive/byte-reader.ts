/**
 * Reads exact byte counts from an async stream of chunks without holding more
 * than the chunks already in flight.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private bufs: Buffer[] = [];
  private have = 0;
  private ended = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(src: AsyncIterable<Uint8Array>) {
    this.it = src[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.have < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value)
        ? r.value
        : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (b.length === 0) continue;
      this.bufs.push(b);
      this.have += b.length;
    }
    return this.have >= n;
  }

  private take(n: number): Buffer {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.bufs[0];
      if (!head) break;
      if (head.length <= left) {
        out.push(head);
        this.bufs.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.bufs[0] = head.subarray(left);
        left = 0;
      }
    }
    this.have -= n;
    this.position += n;
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Exactly `n` bytes, or undefined at a clean end (no bytes left at all). */
  async exactly(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.have === 0) return undefined;
      throw new Error(
        `the archive is truncated at byte ${this.position + this.have}`,
      );
    }
    return this.take(n);
  }

  /** The next `n` bytes as chunks, as they arrive. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.have === 0 && !(await this.fill(1))) {
        throw new Error(`the archive is truncated at byte ${this.position}`);
      }
      const head = this.bufs[0];
      yield this.take(Math.min(head.length, left));
      left -= Math.min(head.length, left);
    }
  }

  /** Whether everything left is zero bytes (a tar's record padding). */
  async restIsZero(): Promise<boolean> {
    for (;;) {
      if (this.have === 0 && !(await this.fill(1))) return true;
      const b = this.take(this.bufs[0]?.length ?? 0);
      for (const x of b) if (x !== 0) return false;
    }
  }
}
