import { createHash, randomBytes } from 'node:crypto';
import { link, open, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createSealer, type Recipients } from './age.js';
import { endOfArchive, entryHeader, padding } from './tar.js';
import { MEMBERS, manifestSha256, sealText } from './manifest.js';
import { temporaryName } from './naming.js';
import { hashFile } from '../process/hash.js';
import type { StoredArchive } from './target.js';

/** A member to write: small ones in memory, big ones from a spool file. */
export type MemberSource = { name: string; size: number; sha256: string } & (
  { data: Buffer } | { path: string }
);

/** The archive on disk. */
export type WrittenArchive = StoredArchive;

const READ_CHUNK = 1024 * 1024;

/**
 * Writes the tar of `members` to `sink`, one reused read buffer for files:
 * `sink` must be done with a buffer when its promise resolves.
 */
async function writeTar(
  members: MemberSource[],
  mtime: number,
  sink: (b: Buffer) => Promise<void>,
): Promise<void> {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (const m of members) {
    await sink(entryHeader({ name: m.name, size: m.size, mtime }));
    const h = createHash('sha256');
    let size = 0;
    if ('data' in m) {
      h.update(m.data);
      size = m.data.length;
      await sink(m.data);
    } else {
      const fh = await open(m.path, 'r');
      try {
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          const chunk = buf.subarray(0, bytesRead);
          h.update(chunk);
          size += bytesRead;
          await sink(chunk);
        }
      } finally {
        await fh.close();
      }
    }
    // The bytes that went into the tar are the bytes the manifest describes.
    const sha = h.digest('hex');
    if (size !== m.size || sha !== m.sha256) {
      throw new Error(
        `${m.name} changed while the archive was written (size ${size}, expected ${m.size}; sha256 ${sha.slice(0, 12)}, expected ${m.sha256.slice(0, 12)})`,
      );
    }
    await sink(padding(m.size));
  }
  await sink(endOfArchive());
}

/**
 * The members as written: `members` (manifest.json first, in memory) and, as
 * the last member, manifest.sha256 holding the manifest's sha256.
 */
export function sealedMembers(members: MemberSource[]): MemberSource[] {
  const first = members[0];
  if (!first || first.name !== MEMBERS.manifest || !('data' in first))
    throw new Error(
      `the first member must be ${MEMBERS.manifest}, held in memory`,
    );
  if (members.some((m) => m.name === MEMBERS.seal))
    throw new Error(`${MEMBERS.seal} is written by the archive writer only`);
  const sha = manifestSha256(first.data);
  if (sha !== first.sha256)
    throw new Error(`${MEMBERS.manifest} does not match its own sha256`);
  const seal = sealText(sha);
  return [
    ...members,
    {
      name: MEMBERS.seal,
      data: seal,
      size: seal.length,
      sha256: createHash('sha256').update(seal).digest('hex'),
    },
  ];
}

/**
 * Streams the members as a tar, manifest.sha256 appended (sealedMembers),
 * through age when `recipients`, into a temporary name next to `name`,
 * fsyncs it, re-reads it to check the whole-file sha256, and only then
 * links it to its final name (never replacing an existing file). On any
 * failure nothing is left behind.
 */
export async function writeArchive(o: {
  dir: string;
  name: string;
  members: MemberSource[];
  recipients?: Recipients;
  mtime: Date;
}): Promise<WrittenArchive> {
  const final = join(o.dir, o.name);
  const members = sealedMembers(o.members);
  const tmp = temporaryName(final, randomBytes(6).toString('hex'));
  let linked = false;
  try {
    const h = createHash('sha256');
    let size = 0;
    const mtime = Math.floor(o.mtime.getTime() / 1000);
    const out = await open(tmp, 'wx', 0o600);
    try {
      // Several buffers in one writev: one thread-pool round trip, not one per chunk.
      const put = async (...bufs: Buffer[]) => {
        if (bufs.length === 0) return;
        let left = 0;
        for (const b of bufs) {
          h.update(b);
          left += b.length;
        }
        size += left;
        let { bytesWritten } = await out.writev(bufs);
        while (bytesWritten < left) {
          // A short write: finish the rest the plain way.
          const rest = Buffer.concat(bufs).subarray(bytesWritten);
          left = rest.length;
          bytesWritten = (await out.write(rest)).bytesWritten;
          bufs = [rest];
        }
      };
      const sealer = o.recipients
        ? await createSealer(o.recipients)
        : undefined;
      if (sealer) {
        await put(sealer.prefix);
        await writeTar(members, mtime, (b) => put(...sealer.update(b)));
        await put(...sealer.final());
      } else {
        await writeTar(members, mtime, (b) => put(b));
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const written = { sha256: h.digest('hex'), size };
    const onDisk = await hashFile(tmp);
    if (onDisk.sha256 !== written.sha256 || onDisk.size !== written.size) {
      throw new Error(
        `the archive read back from disk differs from what was written (sha256 ${onDisk.sha256.slice(0, 12)} vs ${written.sha256.slice(0, 12)}, ${onDisk.size} vs ${written.size} bytes)`,
      );
    }
    await link(tmp, final).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST'
        ? new Error(`${final} already exists; not replacing it`)
        : e;
    });
    linked = true;
    await unlink(tmp);
    await fsyncDir(o.dir);
    return { path: final, ...written };
  } catch (e) {
    if (linked) await rm(final, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC')
      throw new Error(
        'the destination is full (no space left on device) while writing the archive',
        { cause: e },
      );
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** fsync of a directory, so a rename survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Size of a file, or undefined if missing. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
