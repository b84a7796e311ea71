import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why a file could not be read; `code` lets callers pick their error class. */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
  constructor(
    message: string,
    readonly code: 'missing' | 'not-regular' | 'too-large' | 'unreadable',
  ) {
    super(message);
  }
}

// O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
const FLAGS =
  constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const CHUNK = 64 * 1024;

/**
 * Opens `path` for reading and checks that it is a regular file (not a
 * directory, FIFO, device or socket), without blocking on a FIFO. Returns
 * the descriptor, which the caller closes. `what` names the file in errors
 * ("kubeconfig file /home/me/.kube/config").
 */
export function openRegularFileSync(path: string, what: string): number {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (e) {
    throw openError(e, what);
  }
  try {
    assertRegular(fstatSync(fd), what);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Reads a regular file as UTF-8, refusing anything else and anything larger
 * than `maxBytes` (checked before reading, and again while reading: at most
 * `maxBytes + 1` bytes are read even if the file grows meanwhile). Throws a
 * one-line {@link FileReadError} naming `what` and the limit.
 */
export async function readFileCapped(
  path: string,
  maxBytes: number,
  what: string,
): Promise<string> {
  let fh;
  try {
    fh = await open(path, FLAGS);
  } catch (e) {
    throw openError(e, what);
  }
  try {
    const st = await fh.stat();
    assertRegular(st, what);
    assertSize(st.size, maxBytes, what);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes + 1 - total);
      if (want <= 0) break;
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    assertSize(total, maxBytes, what);
    return Buffer.concat(parts).toString('utf8');
  } catch (e) {
    throw readError(e, what);
  } finally {
    await fh.close();
  }
}

/** {@link readFileCapped}, synchronously (for synchronous loaders). */
export function readFileCappedSync(
  path: string,
  maxBytes: number,
  what: string,
): string {
  const fd = openRegularFileSync(path, what);
  try {
    assertSize(fstatSync(fd).size, maxBytes, what);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes + 1 - total);
      if (want <= 0) break;
      const buf = Buffer.alloc(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      total += n;
    }
    assertSize(total, maxBytes, what);
    return Buffer.concat(parts).toString('utf8');
  } catch (e) {
    throw readError(e, what);
  } finally {
    closeSync(fd);
  }
}

/** `1 MiB`, `64 KiB`, `1000 bytes`. */
export function formatLimit(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

function assertRegular(st: Stats, what: string): void {
  if (st.isFile()) return;
  const kind = st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isSocket()
          ? 'a socket'
          : 'not a file';
  throw new FileReadError(
    `${what} is ${kind}, not a regular file`,
    'not-regular',
  );
}

function assertSize(size: number, maxBytes: number, what: string): void {
  if (size > maxBytes)
    throw new FileReadError(
      `${what} is larger than the limit of ${formatLimit(maxBytes)}`,
      'too-large',
    );
}

function openError(e: unknown, what: string): FileReadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new FileReadError(`${what} does not exist`, 'missing');
  return readError(e, what);
}

function readError(e: unknown, what: string): FileReadError {
  if (e instanceof FileReadError) return e;
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'EACCES' || err.code === 'EPERM'
      ? 'permission denied'
      : err.code === 'EISDIR'
        ? 'it is a directory'
        : (err.code ?? firstLine(String(err.message ?? e)));
  return new FileReadError(`${what} could not be read: ${why}`, 'unreadable');
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? s;
}
