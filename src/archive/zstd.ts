/**
 * zstd for archives, in Node's own zlib (no dependency). A streamed archive is
 * a sequence of independent zstd frames, which any zstd decoder reads as one
 * stream (concatenated frames are part of the format, RFC 8878 section 3.1):
 * frames of data compressed on the libuv thread pool, several at once, so
 * compressing overlaps with pg_dump and uses more than one core; and
 * uncompressed ("raw block") frames for the few bytes that are only known at
 * the end (the manifest, member headers), whose size must not depend on
 * their content.
 *
 * Node's zstd decoder stops at the end of the first frame, so readers go
 * through decompressFrames(), which finds the frame boundaries from the
 * block headers and gives each frame a decoder of its own.
 */
import {
  constants,
  createZstdCompress,
  createZstdDecompress,
  type ZstdCompress,
} from 'node:zlib';
import { ByteReader } from './byte-reader.js';

/** zstd's default level: the speed and ratio the issue measured. */
export const ZSTD_LEVEL = 3;

const MAGIC = 0xfd2fb528;
/** A raw block holds at most 128 KiB (Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024;
/** Magic (4), descriptor (1), 4-byte Frame_Content_Size. */
const FRAME_HEADER = 9;
const BLOCK_HEADER = 3;

/** The size of rawFrame() of `len` bytes: fixed, whatever the bytes are. */
export function rawFrameSize(len: number): number {
  const blocks = Math.max(1, Math.ceil(len / MAX_BLOCK));
  return FRAME_HEADER + blocks * BLOCK_HEADER + len;
}

/**
 * A zstd frame that stores `data` uncompressed in raw blocks:
 * Single_Segment with a 4-byte content size (so no window descriptor), no
 * checksum. Its size is rawFrameSize(data.length).
 */
export function rawFrame(data: Buffer): Buffer {
  if (data.length > 0xffffffff) throw new Error('zstd: raw frame too large');
  const out = Buffer.alloc(rawFrameSize(data.length));
  out.writeUInt32LE(MAGIC, 0);
  // Frame_Content_Size_flag 2 (4 bytes), Single_Segment_flag 1.
  out[4] = (2 << 6) | (1 << 5);
  out.writeUInt32LE(data.length, 5);
  let at = FRAME_HEADER;
  let off = 0;
  do {
    const n = Math.min(MAX_BLOCK, data.length - off);
    const last = off + n >= data.length ? 1 : 0;
    // Block_Type 0 (raw): Last_Block | type << 1 | size << 3, 3 bytes LE.
    const h = last | (n << 3);
    out[at] = h & 0xff;
    out[at + 1] = (h >> 8) & 0xff;
    out[at + 2] = (h >> 16) & 0xff;
    data.copy(out, at + BLOCK_HEADER, off, off + n);
    at += BLOCK_HEADER + n;
    off += n;
  } while (off < data.length);
  return out;
}

/**
 * Compresses independent zstd frames (ZSTD_LEVEL, content checksum) on the
 * thread pool, `lanes` at once. Each lane is one long-lived compressor that
 * ends a frame with ZSTD_e_end: one compression context per lane for the
 * whole archive, where a context per frame would leave a hundred megabytes
 * of freed native memory behind (measured).
 */
export class FrameCompressor {
  private readonly lanes: { z: ZstdCompress; chain: Promise<unknown> }[];
  private next = 0;

  constructor(lanes = 2) {
    this.lanes = Array.from({ length: lanes }, () => ({
      z: createZstdCompress({
        params: {
          [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
          [constants.ZSTD_c_checksumFlag]: 1,
        },
      }),
      chain: Promise.resolve(),
    }));
  }

  /**
   * One frame of `data` (which must stay unchanged until this resolves), as
   * the chunks zlib wrote it in: joining them would copy the frame again.
   */
  compress(data: Buffer): Promise<Buffer[]> {
    const lane = this.lanes[this.next++ % this.lanes.length];
    if (!lane) throw new Error('zstd: no lane');
    const job = lane.chain.then(
      () =>
        new Promise<Buffer[]>((resolve, reject) => {
          const out: Buffer[] = [];
          const onData = (c: Buffer) => out.push(c);
          const onError = (e: Error) => {
            lane.z.off('data', onData);
            reject(e);
          };
          lane.z.on('data', onData);
          lane.z.once('error', onError);
          lane.z.write(data);
          lane.z.flush(constants.ZSTD_e_end, () => {
            lane.z.off('data', onData);
            lane.z.off('error', onError);
            resolve(out);
          });
        }),
    );
    lane.chain = job.catch(() => undefined);
    return job;
  }

  /** Frees the compression contexts. */
  close(): void {
    for (const l of this.lanes) l.z.close();
  }
}

const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;

/**
 * Decompresses a zstd stream of any number of frames (skippable frames
 * skipped), block by block: memory stays at a block or two whatever the
 * frame size. Every frame's content checksum, when it has one, is checked
 * by the decoder.
 */
export async function* decompressFrames(
  src: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const r = new ByteReader(src);
  let frames = 0;
  for (;;) {
    const magic = await r.exactly(4);
    if (!magic) {
      if (frames === 0) throw new Error('the archive is empty (no zstd frame)');
      return;
    }
    const m = magic.readUInt32LE(0);
    if ((m & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
      const len = await r.exactly(4);
      if (!len) throw new Error('zstd: truncated skippable frame');
      for await (const c of r.chunks(len.readUInt32LE(0))) void c;
      continue;
    }
    if (m !== MAGIC)
      throw new Error(
        `the archive is not zstd-compressed where a frame should start (byte ${r.position - 4})`,
      );
    frames++;
    yield* decompressFrame(r, magic);
  }
}

async function* decompressFrame(
  r: ByteReader,
  magic: Buffer,
): AsyncGenerator<Buffer> {
  const fhdB = await need(r, 1);
  const fhd = fhdB[0] ?? 0;
  const single = (fhd >> 5) & 1;
  const fcsLen = [single, 2, 4, 8][fhd >> 6] ?? 0;
  const dictLen = [0, 1, 2, 4][fhd & 3] ?? 0;
  const rest = await need(r, (single ? 0 : 1) + dictLen + fcsLen);
  const d = createZstdDecompress();
  const out: Buffer[] = [];
  let failure: Error | undefined;
  let failed!: () => void;
  const errored = new Promise<void>((r) => (failed = r));
  d.on('data', (c: Buffer) => out.push(c));
  d.on('error', (e) => {
    failure ??= e;
    failed();
  });
  // A decoder that failed never calls back: the error ends the wait.
  const write = async (b: Buffer) => {
    if (!failure)
      await Promise.race([
        new Promise<void>((resolve) => d.write(b, () => resolve())),
        errored,
      ]);
    if (failure)
      throw new Error(`the archive's zstd data is damaged: ${failure.message}`);
  };
  const drain = function* () {
    if (failure)
      throw new Error(`the archive's zstd data is damaged: ${failure.message}`);
    yield* out.splice(0);
  };
  await write(Buffer.concat([magic, fhdB, rest]));
  for (;;) {
    const hb = await need(r, 3);
    const h = hb.readUIntLE(0, 3);
    const type = (h >> 1) & 3;
    if (type === 3) throw new Error('zstd: reserved block type');
    await write(hb);
    for await (const c of r.chunks(type === 1 ? 1 : h >>> 3)) {
      await write(c);
      yield* drain();
    }
    if (h & 1) break;
  }
  if ((fhd >> 2) & 1) await write(await need(r, 4));
  await new Promise<void>((resolve) => {
    d.once('end', resolve);
    d.once('error', () => resolve());
    d.end();
  });
  yield* drain();
}

async function need(r: ByteReader, n: number): Promise<Buffer> {
  if (n === 0) return Buffer.alloc(0);
  const b = await r.exactly(n);
  if (!b) throw new Error('the archive is truncated inside a zstd frame');
  return b;
}
