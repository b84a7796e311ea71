import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './archive-writer.js';
import { assertNameFree, temporaryName } from './naming.js';
import type { PartLayout } from './part-writer.js';
import {
  checkReadBack,
  type ArchiveTarget,
  type ArchiveUpload,
} from './target.js';

/** Parts of a file archive: small, since a file has no minimum part size. */
const FILE_LAYOUT: PartLayout = {
  partSize: 2 * 1024 * 1024,
  minPartSize: 1024 * 1024,
  maxParts: Number.MAX_SAFE_INTEGER,
  inFlight: 2,
};

/**
 * A directory: each archive is written to a temporary name beside its final
 * one (parts at their offsets), fsynced, read back part by part, and only
 * then linked to its name (never replacing a file).
 */
export function directoryTarget(dir: string): ArchiveTarget {
  return {
    where: dir,
    assertNameFree: (prefix, at) => assertNameFree(dir, prefix, at),
    async begin(name) {
      const final = join(dir, name);
      const tmp = temporaryName(final, randomBytes(6).toString('hex'));
      const fh = await open(tmp, 'wx', 0o600);
      return fileUpload(dir, final, tmp, fh);
    },
  };
}

function fileUpload(
  dir: string,
  final: string,
  tmp: string,
  fh: FileHandle,
): ArchiveUpload {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  return {
    layout: FILE_LAYOUT,
    sink: {
      async put(_n, offset, data) {
        let at = offset;
        for (const b of data) {
          let done = 0;
          while (done < b.length) {
            const { bytesWritten } = await fh
              .write(b, done, b.length - done, at + done)
              .catch((e: NodeJS.ErrnoException) => {
                throw e.code === 'ENOSPC'
                  ? new Error(
                      'the destination is full (no space left on device) while writing the archive',
                      { cause: e },
                    )
                  : e;
              });
            done += bytesWritten;
          }
          at += b.length;
        }
      },
    },
    async commit(parts, size) {
      await fh.sync();
      await close();
      const read = await checkReadBack(
        createReadStream(tmp, { highWaterMark: 1024 * 1024 }),
        parts,
        size,
      );
      await link(tmp, final).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST'
          ? new Error(`${final} already exists; not replacing it`)
          : e;
      });
      await rm(tmp, { force: true });
      await fsyncDir(dir);
      return { path: final, ...read };
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      return undefined;
    },
  };
}
