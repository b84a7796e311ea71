import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { trackChild } from './children.js';
import { openFifo } from './fifo.js';
import { timerMs } from './timer.js';

/** A command that is running, locally or inside a pod. */
export interface RunningCommand {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code once the command has ended and output is flushed. */
  done: Promise<number>;
  kill(): void;
  /**
   * Present when the command was started with `reuseReads` and the runner
   * could do it: stdout is read into one reused buffer, and this is the way
   * to read it (see forEachChunk); `stdout` then yields nothing.
   */
  eachChunk?(each: (chunk: Buffer) => unknown): Promise<void>;
}

/** How to start a command. */
export interface StartOptions {
  env?: Record<string, string>;
  /**
   * Read stdout into one reused buffer instead of a fresh one per read, for
   * long streams (a dump): no garbage piles up between collections.
   */
  reuseReads?: boolean;
}

/**
 * Calls `each` with every chunk of the command's stdout, one at a time,
 * waiting for it to settle before the next read. The chunk may be a view of
 * a buffer that the next read overwrites: copy what must outlive `each`.
 */
export async function forEachChunk(
  cmd: RunningCommand,
  each: (chunk: Buffer) => unknown,
): Promise<void> {
  if (cmd.eachChunk) return cmd.eachChunk(each);
  for await (const c of cmd.stdout as AsyncIterable<Buffer>) await each(c);
}

/** Starts commands somewhere: on this machine, or in a container via exec. */
export interface CommandRunner {
  /** Where the commands run, for messages ("local", "pod ns/name"). */
  readonly where: string;
  start(argv: string[], opts?: StartOptions): Promise<RunningCommand>;
}

/** Runs argv on this machine, never through a shell. */
export class LocalRunner implements CommandRunner {
  readonly where = 'this machine';

  start(argv: string[], opts: StartOptions = {}): Promise<RunningCommand> {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const fifo = opts.reuseReads ? openFifo() : undefined;
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        env: { ...process.env, ...opts.env },
        stdio: ['pipe', fifo ? fifo.writeFd : 'pipe', 'pipe'],
      });
    } catch (e) {
      fifo?.close();
      throw e;
    } finally {
      fifo?.releaseWriteEnd();
    }
    const untrack = trackChild(() => child.kill('SIGTERM'));
    const done = new Promise<number>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        untrack();
        reject(
          e.code === 'ENOENT'
            ? new Error(`${cmd} is not installed on ${this.where}`)
            : e,
        );
      });
      child.once('close', (code, signal) => {
        untrack();
        resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
      });
    });
    // Read stdout first, await done after: a command that cannot start
    // rejects done before anyone awaits it, which is not unhandled.
    done.catch(() => undefined);
    const { stdin, stderr } = child;
    if (!stdin || !stderr) throw new Error(`${cmd}: no stdin or stderr pipe`);
    // A command that exits without reading stdin must not crash us with EPIPE.
    stdin.on('error', () => undefined);
    const running: RunningCommand = {
      stdin,
      // With a FIFO the child's stdout is not a pipe of ours: an ended stream.
      stdout: child.stdout ?? Readable.from([]),
      stderr,
      done,
      kill: () => {
        child.kill('SIGTERM');
        fifo?.close();
      },
    };
    if (fifo) running.eachChunk = (each) => fifo.each(each);
    return Promise.resolve(running);
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = {
    SIGKILL: 9,
    SIGTERM: 15,
    SIGINT: 2,
    SIGPIPE: 13,
  };
  return n[sig] ?? 0;
}

/** The captured outcome of a short command. */
export interface CommandOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a short command to completion, feeding `stdin` and capturing at most
 * `maxBytes` of each output. On timeout the command is killed.
 */
export async function runToEnd(
  runner: CommandRunner,
  argv: string[],
  opts: {
    stdin?: string | Buffer;
    timeoutMs?: number;
    maxBytes?: number;
    env?: Record<string, string>;
  } = {},
): Promise<CommandOutput> {
  const cmd = await runner.start(argv, { env: opts.env });
  const max = opts.maxBytes ?? 1024 * 1024;
  const out = capture(cmd.stdout, max);
  const err = capture(cmd.stderr, max);
  cmd.stdin.end(opts.stdin ?? '');
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => {
    if (opts.timeoutMs === undefined) return;
    timer = setTimeout(() => {
      timedOut = true;
      cmd.kill();
      resolve(124);
      // A delay over Node's timer range would fire at once: clamp it here,
      // once, for every caller.
    }, timerMs(opts.timeoutMs));
  });
  try {
    const exitCode = await Promise.race([cmd.done, timeout]);
    return { exitCode, stdout: out(), stderr: err(), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

function capture(stream: Readable, max: number): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (c: Buffer) => {
    if (size < max) chunks.push(c.subarray(0, max - size));
    size += c.length;
  });
  stream.on('error', () => undefined);
  return () => Buffer.concat(chunks).toString('utf8');
}

/** A PassThrough that swallows errors, for wiring streams to sockets. */
export function quietPassThrough(): PassThrough {
  const p = new PassThrough();
  p.on('error', () => undefined);
  return p;
}
