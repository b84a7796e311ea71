/**
 * A child's stdout read into one reused buffer. Node reads a pipe into a
 * fresh 64 KiB buffer per read; streaming a dump of gigabytes that way makes
 * tens of megabytes of garbage between collections (measured: 21 MiB of
 * array buffers in flight for 400 MB, against 2 MiB here). So the child
 * writes into a FIFO instead of a pipe, and we read the FIFO through a
 * socket whose reads land in our buffer (net.Socket's `onread`).
 *
 * The FIFO's name exists only for the few synchronous lines between mkfifo
 * and the unlink that follows the spawn: no signal handler can run in
 * between, so a cancel never leaves it behind. Where mkfifo is missing (or
 * on Windows) the caller falls back to an ordinary pipe.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Size of the reused read buffer (a pipe holds 64 KiB on Linux). */
export const READ_BUFFER = 256 * 1024;

/** A FIFO whose write end goes to the child and whose read end is ours. */
export interface Fifo {
  /** The write end, for the child's stdio. */
  writeFd: number;
  /**
   * Closes this process's copy of the write end, once the child has its
   * own: until then the reader never sees end of file.
   */
  releaseWriteEnd(): void;
  /**
   * Reads until end of file, calling `each` with a view of the reused
   * buffer; the next read waits until `each` has settled, so the view must
   * not be kept. Rejects (and stops reading) when `each` does.
   */
  each(each: (chunk: Buffer) => unknown): Promise<void>;
  /** Closes both ends (idempotent). */
  close(): void;
}

/** Makes the FIFO, or returns undefined where that is not possible. */
export function openFifo(): Fifo | undefined {
  if (process.platform === 'win32') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-fifo-'));
  try {
    const path = join(dir, 'stdout');
    const made = spawnSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
    if (made.status !== 0) return undefined;
    // The read end first, without blocking; then the write end opens at once.
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY);
    return fifoOn(readFd, writeFd);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fifoOn(readFd: number, writeFd: number): Fifo {
  let writeOpen = true;
  let each: ((chunk: Buffer) => unknown) | undefined;
  let fail: ((e: unknown) => void) | undefined;
  const socket = new net.Socket({
    fd: readFd,
    readable: true,
    writable: false,
    pauseOnCreate: true,
    onread: {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      callback: (n: number, buf: Uint8Array) => {
        if (!each) return false;
        let r: unknown;
        try {
          r = each(Buffer.from(buf.buffer, buf.byteOffset, n));
        } catch (e) {
          fail?.(e);
          return false;
        }
        if (r instanceof Promise) {
          // The buffer is ours again only once `each` is done with it.
          socket.pause();
          r.then(
            () => {
              if (!socket.destroyed) socket.resume();
            },
            (e: unknown) => fail?.(e),
          );
        }
        return true;
      },
    },
  } as net.SocketConstructorOpts);
  const releaseWriteEnd = (): void => {
    if (writeOpen) {
      writeOpen = false;
      closeSync(writeFd);
    }
  };
  const close = (): void => {
    releaseWriteEnd();
    socket.destroy();
  };
  return {
    writeFd,
    releaseWriteEnd,
    close,
    each: (fn) =>
      new Promise<void>((resolve, reject) => {
        each = fn;
        fail = (e) => {
          close();
          reject(e instanceof Error ? e : new Error(String(e)));
        };
        socket.once('end', () => {
          fail = undefined;
          socket.destroy();
          resolve();
        });
        socket.once('error', (e) => fail?.(e));
        // Closed by kill() before its end: nothing more will come.
        socket.once('close', () =>
          fail?.(new Error('the output was closed before its end')),
        );
        socket.resume();
      }),
  };
}
