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
      this.place(part, part.len, b, off, off + n);
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
        const size = this.physical(part.n, part.holeTarget);
        if (size < part.buf.length) {
          const small = Buffer.allocUnsafe(size);
          part.buf.copy(small, 0, 0, size);
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
      this.place(f.part, f.at, bytes, f.from, f.from + f.len);
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
        buf: this.pool.take(this.physical(this.count, this.o.layout.partSize)),
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
    // Sealed in place: the part's buffer is what is stored, either way.
    const { data, offset } = this.seal(p);
    p.buf = Buffer.alloc(0);
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

  /**
   * Where a part's bytes sit in its buffer. Unencrypted, as they come.
   * Encrypted, chunk c of the part (AGE_CHUNK bytes of plaintext) starts at
   * head + c * (AGE_CHUNK + AGE_TAG), so each chunk is sealed in place with
   * room for its tag after it, and the first part keeps room for the age
   * header: no second buffer of a part's size while it is sealed.
   */
  private head(n: number): number {
    return this.o.sealer && n === 1 ? this.o.sealer.prefix.length : 0;
  }

  /** The buffer size for `len` plaintext bytes of part `n`. */
  private physical(n: number, len: number): number {
    if (!this.o.sealer) return len;
    const chunks = Math.max(1, Math.ceil(len / AGE_CHUNK));
    return this.head(n) + len + chunks * AGE_TAG;
  }

  /** Copies src[from, to) into part `p` at plaintext offset `at`. */
  private place(
    p: OpenPart,
    at: number,
    src: Buffer,
    from: number,
    to: number,
  ): void {
    if (!this.o.sealer) {
      src.copy(p.buf, at, from, to);
      return;
    }
    const head = this.head(p.n);
    while (from < to) {
      const inChunk = at % AGE_CHUNK;
      const n = Math.min(to - from, AGE_CHUNK - inChunk);
      const pos =
        head + Math.floor(at / AGE_CHUNK) * (AGE_CHUNK + AGE_TAG) + inChunk;
      src.copy(p.buf, pos, from, from + n);
      at += n;
      from += n;
    }
  }

  /** Seals the part in place; its bytes as stored, and where they start. */
  private seal(p: OpenPart): { data: Buffer; offset: number } {
    const s = this.o.sealer;
    if (!s) return { data: p.buf.subarray(0, p.len), offset: p.start };
    if (p.start % AGE_CHUNK !== 0)
      throw new Error('archive writer: a part does not start on a chunk');
    const first = p.start / AGE_CHUNK;
    const chunks = Math.max(1, Math.ceil(p.len / AGE_CHUNK));
    const head = this.head(p.n);
    if (head > 0) s.prefix.copy(p.buf, 0);
    for (let c = 0; c < chunks; c++) {
      const pos = head + c * (AGE_CHUNK + AGE_TAG);
      const n = Math.min(AGE_CHUNK, p.len - c * AGE_CHUNK);
      const last = p.final && c === chunks - 1;
      const [ct, tag] = s.seal(first + c, p.buf.subarray(pos, pos + n), last);
      ct.copy(p.buf, pos);
      tag.copy(p.buf, pos + n);
      // Each sealed chunk is a fresh buffer, dead once copied: a part makes
      // its own size of garbage here, so it is collected as it goes.
      if ((c + 1) % SEAL_COLLECT_CHUNKS === 0) collectYoung();
    }
    const offset =
      p.n === 1 ? 0 : s.prefix.length + first * (AGE_CHUNK + AGE_TAG);
    return { data: p.buf.subarray(0, head + p.len + chunks * AGE_TAG), offset };
  }
}
