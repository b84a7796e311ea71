import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link spawnDaemon}. */
export interface DaemonOptions {
  /** Name used in error messages. */
  name: string;
  cwd?: string;
  /** Complete environment of the child (nothing is inherited when given). */
  env?: Record<string, string>;
  uid?: number;
  gid?: number;
  /**
   * Signal sent by the process-exit safety net. PostgreSQL wants SIGQUIT
   * (immediate shutdown, which also ends its backends); others get SIGKILL.
   */
  exitSignal?: NodeJS.Signals;
}

/** A long-running child process whose output is kept for error messages. */
export interface Daemon {
  readonly child: ChildProcess;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Last 64 KiB of stdout and stderr, interleaved. */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Sends `signal`, escalates to SIGKILL after `timeoutMs`, waits for exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;
const live = new Map<ChildProcess, NodeJS.Signals>();
const dirs = new Set<string>();
let hooked = false;
const SETPRIV = '/usr/bin/setpriv';
const RETRY_RM =
  'for i in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$1"; [ -e "$1" ] || exit 0; sleep 0.5; done';

function cleanUpNow(): void {
  for (const [child, signal] of live) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a dying server may still be writing: retried below
    }
    if (existsSync(dir)) {
      // The servers die asynchronously; a detached shell finishes the job
      // after this process is gone.
      spawn('sh', ['-c', RETRY_RM, 'rm', dir], {
        detached: true,
        stdio: 'ignore',
      }).unref();
    }
  }
  dirs.clear();
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  for (const s of SIGNALS) process.off(s, onSignal);
  // Without other listeners, re-raising gives the default (deadly) action.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A test that fails before its afterAll still must not leak servers. Vitest
  // ends fork workers with SIGTERM, which skips 'exit' handlers, hence the
  // signal handlers; SIGKILL is covered by the servers' parent-death signal.
  process.on('exit', cleanUpNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * Registers a temp dir for removal when the process exits; returns a function
 * that removes it now and unregisters it.
 */
export function tempDirCleanup(dir: string): () => void {
  hookExit();
  dirs.add(dir);
  return () => {
    dirs.delete(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}

/**
 * Spawns a server process, keeps the tail of its output and registers it with
 * a process-exit safety net so a failing test never leaks it.
 */
export function spawnDaemon(
  command: string,
  args: readonly string[],
  opts: DaemonOptions,
): Daemon {
  hookExit();
  // setpriv makes the kernel signal the server when this process dies, even
  // by SIGKILL; it runs after the uid switch, so the setting survives.
  const signal = opts.exitSignal ?? 'SIGKILL';
  const [file, argv] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', signal, '--', command, ...args]]
    : [command, args];
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.uid,
    gid: opts.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.set(child, signal);
  let out = '';
  let spawnError: Error | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
    notify();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      running = false;
      live.delete(child);
      notify();
      resolve();
    });
    child.once('exit', () => {
      running = false;
      live.delete(child);
      notify();
      resolve();
    });
  });
  const describe = (what: string): Error =>
    new Error(
      `${opts.name}: ${what}${spawnError ? ` (${spawnError.message})` : ''}` +
        `\n--- output ---\n${out.slice(-4000)}`,
    );

  return {
    child,
    get running() {
      return running;
    },
    output: () => out,
    waitForOutput(pattern, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve();
        };
        const check = (): void => {
          if (pattern.test(out)) done();
          else if (!running) done(describe('exited before it was ready'));
        };
        const timer = setTimeout(
          () => done(describe(`not ready after ${timeoutMs} ms`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (!running) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `probe` until it returns true; throws with `what` and the last error
 * after `timeoutMs`. `daemon`, when given, aborts the wait if it exits.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  daemon?: Daemon,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (daemon && !daemon.running) {
      throw new Error(
        `${what}: process exited\n${daemon.output().slice(-4000)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`${what}: timed out after ${timeoutMs} ms${reason}`);
    }
    await sleep(50);
  }
}
