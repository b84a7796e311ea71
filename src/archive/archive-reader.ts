import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { openRegularFileSync } from '../process/read-file.js';
import { decryptStream } from './age.js';
import { decompressFrames } from './zstd.js';
import { garbageCollector } from '../process/memory.js';
import { ByteReader } from './byte-reader.js';
import { validateManifest, MEMBERS, type Manifest } from './manifest.js';
import { BLOCK, isZeroBlock, paxSize, parseHeader } from './tar.js';

/** One member as it streams past; `body` must be consumed before the next. */
export interface MemberStream {
  name: string;
  size: number;
  body: AsyncGenerator<Buffer>;
}

/**
 * Opens an archive file as a stream of tar bytes: decrypted (and
 * authenticated chunk by chunk) when it ends in `.age`, decompressed when it
 * is zstd (`.tar.zst`, recognised by its content).
 */
export function openArchive(
  path: string,
  identities: string[],
): AsyncIterable<Buffer> {
  if (path.endsWith('.age') && identities.length === 0)
    throw new Error(`${path} is encrypted: give input 'age-identity'`);
  // Regular files only: a device (/dev/zero) or a FIFO would never end.
  const fd = openRegularFileSync(path, `the archive ${path}`);
  const file = createReadStream(path, { fd, highWaterMark: 256 * 1024 });
  return openArchiveStream(file, path, identities);
}

/** Opens an archive that is not a local file: an s3:// object's bytes. */
export type RemoteOpener = (url: string) => Promise<Readable>;

/** Whether an archive reference is a URL (s3://...) rather than a path. */
export function isRemote(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(path);
}

/**
 * Opens a local file with openArchive(), or a URL through `remote`, streamed
 * (never downloaded whole first).
 */
export function openAny(
  path: string,
  identities: string[],
  remote?: RemoteOpener,
): AsyncIterable<Buffer> {
  if (!isRemote(path)) return openArchive(path, identities);
  if (!remote) throw new Error(`cannot open ${path}: no store configured`);
  return (async function* () {
    const body = await remote(path);
    yield* openArchiveStream(body, basename(path), identities);
  })();
}

/**
 * An archive's bytes (a file, an object being downloaded) as tar bytes:
 * decrypted when `name` ends in `.age`, decompressed when zstd.
 */
export function openArchiveStream(
  src: Readable,
  name: string,
  identities: string[],
): AsyncIterable<Buffer> {
  if (!name.endsWith('.age')) return maybeZstd(src);
  if (identities.length === 0)
    throw new Error(`${name} is encrypted: give input 'age-identity'`);
  const dec = decryptStream(identities);
  src.on('error', (e) => dec.destroy(e));
  return maybeZstd(src.pipe(dec));
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The bytes, decompressed when they start like a zstd frame. */
async function* maybeZstd(
  src: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let have = 0;
  while (have < 4) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
    head.push(b);
    have += b.length;
  }
  const rest = (async function* () {
    yield* head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
    }
  })();
  const zstd = Buffer.concat(head).subarray(0, 4).equals(ZSTD_MAGIC);
  const collected = garbageCollector();
  for await (const c of zstd ? decompressFrames(rest) : rest) {
    collected(c.length);
    yield c;
  }
}

/**
 * Walks a tar stream strictly: valid header checksums, zero padding, the
 * end-of-archive marker, and nothing but zeros after it.
 */
export async function* readTar(
  src: AsyncIterable<Uint8Array>,
): AsyncGenerator<MemberStream> {
  const r = new ByteReader(src);
  let nextSize: number | undefined;
  for (;;) {
    const block = await r.exactly(BLOCK);
    if (!block)
      throw new Error('the archive is truncated: no end-of-archive marker');
    if (isZeroBlock(block)) {
      const second = await r.exactly(BLOCK);
      if (!second || !isZeroBlock(second))
        throw new Error('the archive has a damaged end-of-archive marker');
      if (!(await r.restIsZero()))
        throw new Error('the archive has data after its end-of-archive marker');
      return;
    }
    const h = parseHeader(block);
    if (h.type === 'x') {
      const data =
        (await r.exactly(Math.ceil(h.size / BLOCK) * BLOCK)) ?? Buffer.alloc(0);
      nextSize = paxSize(data.subarray(0, h.size));
      continue;
    }
    if (h.type !== '0')
      throw new Error(
        `the archive holds an unexpected entry type "${h.type}" (${h.name})`,
      );
    const size = nextSize ?? h.size;
    nextSize = undefined;
    let consumed = 0;
    const inner = r.chunks(size);
    const body = (async function* () {
      for await (const c of inner) {
        consumed += c.length;
        yield c;
      }
    })();
    yield { name: h.name, size, body };
    // Whatever the consumer left unread is skipped, never misread as a header.
    for await (const _ of r.chunks(size - consumed)) void _;
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) {
      const p = await r.exactly(pad);
      if (!p || !isZeroBlock(p))
        throw new Error(`the archive has damaged padding after ${h.name}`);
    }
  }
}

/** Reads a small member whole (manifest, config.yaml), refusing big ones. */
export async function readSmall(
  m: MemberStream,
  max = 64 * 1024 * 1024,
): Promise<Buffer> {
  if (m.size > max)
    throw new Error(`${m.name} is ${m.size} bytes, more than expected`);
  const parts: Buffer[] = [];
  for await (const c of m.body) parts.push(c);
  return Buffer.concat(parts);
}

/** Parses the manifest member (the first member of every archive). */
export async function readManifest(
  m: MemberStream | undefined,
): Promise<Manifest> {
  if (!m || m.name !== MEMBERS.manifest)
    throw new Error(`the archive does not start with ${MEMBERS.manifest}`);
  const text = (await readSmall(m, 256 * 1024 * 1024)).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('manifest.json is not valid JSON');
  }
  return validateManifest(v);
}

/** sha256 and size of a chunk stream, passing each chunk to `sink` if given. */
export async function hashChunks(
  body: AsyncIterable<Buffer>,
  sink?: (c: Buffer) => Promise<void> | void,
): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of body) {
    h.update(c);
    size += c.length;
    if (sink) await sink(c);
  }
  return { sha256: h.digest('hex'), size };
}

/**
 * Streams one member of an archive to `consume`, checking its sha256 against
 * `expectedSha256` as it goes (a mismatch throws after the consumer ran, so
 * callers must verify the whole archive first, as restore does).
 */
export async function withMember(
  path: string,
  identities: string[],
  name: string,
  expectedSha256: string,
  consume: (chunks: AsyncIterable<Buffer>) => Promise<void>,
  remote?: RemoteOpener,
): Promise<void> {
  for await (const m of readTar(openAny(path, identities, remote))) {
    if (m.name !== name) continue;
    const h = createHash('sha256');
    await consume(
      (async function* () {
        for await (const c of m.body) {
          h.update(c);
          yield c;
        }
      })(),
    );
    if (h.digest('hex') !== expectedSha256)
      throw new Error(`${name} changed between verification and restore`);
    return;
  }
  throw new Error(`the archive has no ${name}`);
}
