/**
 * The part-cutting stage of the PartWriter (part-writer.ts): the stream cut
 * into parts at fixed offsets, parts with holes held until filled, each part
 * sealed with age when encrypting and stored with at most `inFlight` at once.
 */
import { createHash } from 'node:crypto';
import { collectYoung } from '../process/memory.js';
import { AGE_CHUNK, AGE_TAG, type ChunkSealer } from './age.js';

/** Sealed chunks (64 KiB each) between two young collections. */
const SEAL_COLLECT_CHUNKS = 64;

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

export interface HoleState extends Hole {
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
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  take(size: number): Buffer {
    return this.free.get(size)?.pop() ?? Buffer.allocUnsafe(size);
  }
  give(b: Buffer): void {
    const list = this.free.get(b.length) ?? [];
    list.push(b);
    this.free.set(b.length, list);
  }
  /** Lets go of every free buffer: the stream is over. */
  clear(): void {
    this.free.clear();
  }
}

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** What the cutter needs of the writer's settings. */
export interface CutterOptions {
  sink: PartSink;
  layout: PartLayout;
  sealer?: ChunkSealer;
}

/** Cuts the stream into parts, holds those with holes, seals and stores. */
export class Cutter {
  private offset = 0;
  private cur: OpenPart | undefined;
  private count = 0;
  private readonly records: PartRecord[] = [];
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private held = 0;

  constructor(
    private readonly o: CutterOptions,
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
      // Each sealed chunk is a fresh buffer, dead once copied: a part makes
      // its own size of garbage here, so it is collected as it goes.
      if ((c + 1) % SEAL_COLLECT_CHUNKS === 0) collectYoung();
    }
    const offset =
      p.n === 1 ? 0 : s.prefix.length + first * (AGE_CHUNK + AGE_TAG);
    return { data: out, offset };
  }
}
