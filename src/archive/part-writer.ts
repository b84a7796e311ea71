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
import { createHash } from 'node:crypto';
import { AGE_CHUNK, AGE_TAG, type ChunkSealer } from './age.js';
import { FrameCompressor, rawFrame, rawFrameSize } from './zstd.js';

/** Where the parts go: a file, or a multipart upload. */
export interface PartSink {
  /** Stores part `n` (1-based; any order), which starts at byte `offset`. */
  put(n: number, offset: number, data: Buffer[], size: number): Promise<void>;
}

/** How the archive is cut. Sizes are multiples of AGE_CHUNK. */
export interface PartLayout {
  /** The size of a part (before encryption). */
  partSize: number;
  /** The size of a part that holds a hole (kept in memory until filled). */
  minPartSize: number;
  /** At most this many parts (S3: 10,000). */
  maxParts: number;
  /** Parts being stored at once. */
  inFlight: number;
}

/** One part as stored. */
export interface PartRecord {
  n: number;
  offset: number;
  size: number;
  sha256: string;
}

/** Bytes reserved in the archive, to be filled once known. */
export interface Hole {
  readonly len: number;
}

interface HoleState extends Hole {
  /** Resolves once the hole has reached the cutter. */
  placed: Promise<void>;
  frags: { part: OpenPart; at: number; from: number; len: number }[];
}

interface OpenPart {
  n: number;
  /** Offset in the (compressed) plaintext stream. */
  start: number;
  len: number;
  /** The part's bytes: one buffer, so storing it copies nothing. */
  buf: Buffer;
  unfilled: number;
  /** Set by the first hole: the part is cut here, to hold little. */
  holeTarget?: number;
  final: boolean;
}

/**
 * Buffers of a few sizes, reused: parts and frames are large, and fresh ones
 * per part would leave tens of megabytes of garbage between collections.
 */
class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  take(size: number): Buffer {
    return this.free.get(size)?.pop() ?? Buffer.allocUnsafe(size);
  }
  give(b: Buffer): void {
    const list = this.free.get(b.length) ?? [];
    list.push(b);
    this.free.set(b.length, list);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** zstd frames of this much plaintext are compressed independently. */
export const FRAME_SIZE = 2 * 1024 * 1024;

/** Settings of a PartWriter. */
export interface PartWriterOptions {
  sink: PartSink;
  layout: PartLayout;
  zstd: boolean;
  sealer?: ChunkSealer;
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
  private frame: Buffer[] = [];
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

  /** Appends bytes (not reused by the caller afterwards). */
  async write(b: Buffer): Promise<void> {
    this.throwIfFailed();
    this.plaintext += b.length;
    if (!this.zstd) return this.enqueue(() => this.cut.push(b));
    let off = 0;
    while (off < b.length) {
      const n = Math.min(this.frameSize - this.frameLen, b.length - off);
      this.frame.push(b.subarray(off, off + n));
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
    return this.cut.end();
  }

  /** Waits for whatever is in flight to settle (after a failure). */
  async settle(): Promise<void> {
    await this.chain.catch(() => undefined);
    this.compressor?.close();
    await this.cut.settle();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw asError(this.failure);
    this.cut.throwIfFailed();
  }

  private async flushFrame(): Promise<void> {
    if (this.frameLen === 0) return;
    const buf = this.pool.take(this.frameSize);
    let at = 0;
    for (const b of this.frame) at += b.copy(buf, at);
    const data = buf.subarray(0, at);
    this.frame = [];
    this.frameLen = 0;
    this.compressor ??= new FrameCompressor(this.maxFrames);
    const compressed = this.compressor
      .compress(data)
      .finally(() => this.pool.give(buf));
    // Settled here too, so a failure while earlier frames are queued is not
    // an unhandled rejection; the chain reports it.
    compressed.catch(() => undefined);
    await this.enqueue(async () => this.cut.push(await compressed));
  }

  /** Runs `step` after every earlier step, with at most maxFrames queued. */
  private async enqueue(step: () => Promise<void>): Promise<void> {
    const link = this.chain.then(step).catch((e: unknown) => {
      this.failure ??= e;
      throw e;
    });
    this.chain = link.catch(() => undefined);
    this.pending.push(link);
    while (this.pending.length > this.maxFrames) {
      await this.pending.shift();
    }
  }
}

/** Cuts the stream into parts, holds those with holes, seals and stores. */
class Cutter {
  private offset = 0;
  private cur: OpenPart | undefined;
  private count = 0;
  private readonly records: PartRecord[] = [];
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private held = 0;

  constructor(
    private readonly o: PartWriterOptions,
    private readonly pool: BufferPool,
  ) {}

  throwIfFailed(): void {
    if (this.failure !== undefined) throw asError(this.failure);
  }

  async push(b: Buffer): Promise<void> {
    let off = 0;
    while (off < b.length) {
      const part = await this.room();
      const n = Math.min(b.length - off, this.target(part) - part.len);
      b.copy(part.buf, part.len, off, off + n);
      part.len += n;
      this.offset += n;
      off += n;
    }
  }

  async hole(h: HoleState, size: number): Promise<void> {
    let from = 0;
    while (from < size) {
      const part = await this.room();
      // The first hole of a part cuts it at minPartSize (or the next chunk
      // boundary past what it holds), so the part kept in memory stays small.
      if (part.holeTarget === undefined) {
        part.holeTarget = Math.max(
          this.o.layout.minPartSize,
          Math.ceil((part.len + 1) / AGE_CHUNK) * AGE_CHUNK,
        );
        if (part.holeTarget < part.buf.length) {
          const small = Buffer.allocUnsafe(part.holeTarget);
          part.buf.copy(small, 0, 0, part.len);
          this.pool.give(part.buf);
          part.buf = small;
        }
      }
      const n = Math.min(size - from, this.target(part) - part.len);
      h.frags.push({ part, at: part.len, from, len: n });
      part.len += n;
      part.unfilled++;
      this.offset += n;
      from += n;
    }
  }

  async fill(h: HoleState, bytes: Buffer): Promise<void> {
    for (const f of h.frags) {
      bytes.copy(f.part.buf, f.at, f.from, f.from + f.len);
      f.part.unfilled--;
      if (f.part.unfilled === 0 && f.part !== this.cur) {
        this.held--;
        await this.submit(f.part);
      }
    }
  }

  async end(): Promise<{ parts: PartRecord[]; size: number }> {
    const last = this.cur;
    if (!last) throw new Error('archive writer: nothing was written');
    this.cur = undefined;
    last.final = true;
    if (last.unfilled > 0)
      throw new Error('archive writer: a hole was never filled');
    await this.submit(last);
    if (this.held > 0)
      throw new Error('archive writer: a hole was never filled');
    await this.settle();
    this.throwIfFailed();
    const parts = [...this.records].sort((a, b) => a.n - b.n);
    const end = parts.at(-1);
    return { parts, size: end ? end.offset + end.size : 0 };
  }

  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private target(p: OpenPart): number {
    return p.holeTarget ?? this.o.layout.partSize;
  }

  /** The open part, once it has room: a full one is closed first. */
  private async room(): Promise<OpenPart> {
    this.throwIfFailed();
    let p = this.cur;
    if (p && p.len >= this.target(p)) {
      this.cur = undefined;
      if (p.unfilled > 0) this.held++;
      else await this.submit(p);
      p = undefined;
    }
    if (!p) {
      this.count++;
      if (this.count > this.o.layout.maxParts)
        throw new Error(
          `the archive needs more than ${this.o.layout.maxParts} parts: raise the part size`,
        );
      p = {
        n: this.count,
        start: this.offset,
        len: 0,
        buf: this.pool.take(this.o.layout.partSize),
        unfilled: 0,
        final: false,
      };
      this.cur = p;
    }
    return p;
  }

  /** Seals a complete part and stores it, with at most inFlight at once. */
  private async submit(p: OpenPart): Promise<void> {
    while (this.inFlight.size >= this.o.layout.inFlight)
      await Promise.race(this.inFlight);
    this.throwIfFailed();
    const { data, offset } = this.seal(p);
    const plain = p.buf;
    p.buf = Buffer.alloc(0);
    // Encrypted: the plaintext is free now; else it is what is stored.
    if (data.buffer !== plain.buffer) this.recycle(plain);
    const size = data.length;
    const sha256 = createHash('sha256').update(data).digest('hex');
    const rec: PartRecord = { n: p.n, offset, size, sha256 };
    const job = this.o.sink.put(p.n, offset, [data], size).then(
      () => {
        this.records.push(rec);
        this.recycle(data);
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
    const tracked = job.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Returns a part's buffer (whole, from the pool) for reuse. */
  private recycle(b: Buffer): void {
    const size = b.buffer.byteLength;
    // Only the sizes that come again: full parts, plain and sealed.
    if (b.byteOffset === 0 && this.reused.has(size))
      this.pool.give(Buffer.from(b.buffer, 0, size));
  }

  private get reused(): Set<number> {
    const n = this.o.layout.partSize;
    return new Set([n, n + (n / AGE_CHUNK) * AGE_TAG]);
  }

  /** The part's bytes as stored (one buffer), and where they start. */
  private seal(p: OpenPart): { data: Buffer; offset: number } {
    const s = this.o.sealer;
    const plain = p.buf.subarray(0, p.len);
    if (!s) return { data: plain, offset: p.start };
    if (p.start % AGE_CHUNK !== 0)
      throw new Error('archive writer: a part does not start on a chunk');
    const first = p.start / AGE_CHUNK;
    const chunks = Math.max(1, Math.ceil(plain.length / AGE_CHUNK));
    const head = p.n === 1 ? s.prefix.length : 0;
    const out = this.pool.take(head + plain.length + chunks * AGE_TAG);
    if (p.n === 1) s.prefix.copy(out, 0);
    let at = head;
    for (let c = 0; c < chunks; c++) {
      const i = c * AGE_CHUNK;
      const last = p.final && c === chunks - 1;
      for (const b of s.seal(first + c, plain.subarray(i, i + AGE_CHUNK), last))
        at += b.copy(out, at);
    }
    const offset =
      p.n === 1 ? 0 : s.prefix.length + first * (AGE_CHUNK + AGE_TAG);
    return { data: out, offset };
  }
}
