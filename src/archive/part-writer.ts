/**
 * Writes an archive as numbered parts, in one pass, with bounded memory,
 * although some of its bytes are only known at the end: the manifest (first
 * member, it lists every member's sha256) and the tar header of a member that
 * streams from a command (its size). Such bytes are a *hole*: reserved at a
 * fixed size where they belong and filled later. The part holding a hole is
 * kept in memory (it is cut short, at `minPartSize`) until the hole is
 * filled; every other part goes to the sink as soon as it is full. A
 * multipart upload takes parts in any order (a file takes them at their
 * offsets), so nothing waits for the end but the held parts.
 *
 * Stages: plaintext tar -> optional zstd (independent frames compressed on
 * the thread pool, several at once; a hole becomes an uncompressed frame of
 * fixed size) -> cut into parts at fixed offsets -> optional age (each part's
 * chunks sealed with their own counters, so the parts together are one
 * ordinary age file) -> the sink.
 */
import {
  asError,
  BufferPool,
  Cutter,
  type CutterOptions,
  type Hole,
  type HoleState,
  type PartRecord,
} from './part-cutter.js';
import { FrameCompressor, rawFrame, rawFrameSize } from './zstd.js';

export type { Hole, PartLayout, PartRecord, PartSink } from './part-cutter.js';

/**
 * zstd frames of this much plaintext are compressed independently. 1 MiB
 * rather than 2: 7 MiB less at peak (buffers and zstd's windows, two lanes)
 * and, on the benchmark's data, a slightly smaller archive.
 */
export const FRAME_SIZE = 1024 * 1024;

/** Settings of a PartWriter. */
export interface PartWriterOptions extends CutterOptions {
  zstd: boolean;
  /** zstd frames compressing at once (the thread pool has four threads). */
  frames?: number;
  /** Plaintext per zstd frame (FRAME_SIZE). */
  frameSize?: number;
}

/**
 * The writer. Call write() and hole() in archive order (awaiting write()),
 * fill() every hole, then end(). After any error, end() rejects with it; the
 * caller then discards what the sink holds.
 */
export class PartWriter {
  private readonly cut: Cutter;
  private readonly zstd: boolean;
  /** The frame being filled (from the pool), and how much of it is. */
  private frame: Buffer | undefined;
  private frameLen = 0;
  private chain: Promise<void> = Promise.resolve();
  private pending: Promise<void>[] = [];
  private readonly maxFrames: number;
  private readonly frameSize: number;
  private readonly pool = new BufferPool();
  private compressor: FrameCompressor | undefined;
  private failure: unknown;

  constructor(o: PartWriterOptions) {
    this.cut = new Cutter(o, this.pool);
    this.zstd = o.zstd;
    this.maxFrames = o.frames ?? 2;
    this.frameSize = o.frameSize ?? FRAME_SIZE;
  }

  /** The stream's plaintext bytes so far (before compression). */
  plaintext = 0;

  /**
   * Appends bytes; once this resolves they have been copied, so the caller
   * may reuse its buffer (a reused read buffer, see forEachChunk).
   */
  async write(b: Buffer): Promise<void> {
    this.throwIfFailed();
    this.plaintext += b.length;
    if (!this.zstd) return this.enqueue(() => this.cut.push(b), true);
    let off = 0;
    while (off < b.length) {
      this.frame ??= this.pool.take(this.frameSize);
      const n = Math.min(this.frameSize - this.frameLen, b.length - off);
      b.copy(this.frame, this.frameLen, off, off + n);
      this.frameLen += n;
      off += n;
      if (this.frameLen === this.frameSize) await this.flushFrame();
    }
  }

  /** Reserves `len` plaintext bytes here. */
  async hole(len: number): Promise<Hole> {
    this.throwIfFailed();
    this.plaintext += len;
    if (this.zstd) await this.flushFrame();
    let placed!: () => void;
    const h: HoleState = {
      len,
      frags: [],
      placed: new Promise<void>((r) => (placed = r)),
    };
    const size = this.zstd ? rawFrameSize(len) : len;
    await this.enqueue(async () => {
      await this.cut.hole(h, size);
      placed();
    });
    return h;
  }

  /** Fills a hole with exactly its length of bytes. */
  async fill(hole: Hole, bytes: Buffer): Promise<void> {
    this.throwIfFailed();
    const h = hole as HoleState;
    if (bytes.length !== h.len)
      throw new Error(
        `archive writer: ${bytes.length} bytes for a hole of ${h.len}`,
      );
    await h.placed;
    this.throwIfFailed();
    await this.cut.fill(h, this.zstd ? rawFrame(bytes) : bytes);
  }

  /** Flushes everything; resolves with the parts once all are stored. */
  async end(): Promise<{ parts: PartRecord[]; size: number }> {
    if (this.zstd) await this.flushFrame().catch(() => undefined);
    await this.chain.catch(() => undefined);
    this.compressor?.close();
    this.throwIfFailed();
    try {
      return await this.cut.end();
    } finally {
      // Tens of megabytes of parts and frames: not kept for the read-back.
      this.pool.clear();
    }
  }

  /** Waits for whatever is in flight to settle (after a failure). */
  async settle(): Promise<void> {
    await this.chain.catch(() => undefined);
    this.compressor?.close();
    await this.cut.settle();
    this.pool.clear();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw asError(this.failure);
    this.cut.throwIfFailed();
  }

  private async flushFrame(): Promise<void> {
    const buf = this.frame;
    if (!buf || this.frameLen === 0) return;
    const data = buf.subarray(0, this.frameLen);
    this.frame = undefined;
    this.frameLen = 0;
    this.compressor ??= new FrameCompressor(this.maxFrames);
    const compressed = this.compressor
      .compress(data)
      .finally(() => this.pool.give(buf));
    // Settled here too, so a failure while earlier frames are queued is not
    // an unhandled rejection; the chain reports it.
    compressed.catch(() => undefined);
    await this.enqueue(async () => {
      for (const c of await compressed) await this.cut.push(c);
    });
  }

  /**
   * Runs `step` after every earlier step, with at most maxFrames queued;
   * with `wait`, resolves only once `step` has run (it reads the caller's
   * bytes, which the caller may reuse afterwards).
   */
  private async enqueue(
    step: () => Promise<void>,
    wait = false,
  ): Promise<void> {
    const link = this.chain.then(step).catch((e: unknown) => {
      this.failure ??= e;
      throw e;
    });
    this.chain = link.catch(() => undefined);
    this.pending.push(link);
    while (this.pending.length > this.maxFrames) {
      await this.pending.shift();
    }
    if (wait) await link;
  }
}
