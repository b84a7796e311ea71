import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tail, throwIfFailed } from './output.js';
import type { CommandRunner } from './runner.js';
import { HashCounter } from './hash.js';

/**
 * Runs a command whose stdout is a member (pg_dump, tar) and streams it into
 * a new private file, hashing on the way. Memory stays constant.
 */
export async function spoolCommand(
  runner: CommandRunner,
  argv: string[],
  path: string,
  env: Record<string, string> = {},
): Promise<{ sha256: string; size: number }> {
  const tool = argv[0] ?? '?';
  const cmd = await runner.start(argv, { env });
  cmd.stdin.end();
  const err = tail(cmd.stderr);
  const counter = new HashCounter();
  const piping = pipeline(
    cmd.stdout,
    counter,
    createWriteStream(path, {
      flags: 'wx',
      mode: 0o600,
      highWaterMark: 1024 * 1024,
    }),
  );
  const [pipe, exit] = await Promise.allSettled([piping, cmd.done]);
  if (pipe.status === 'rejected') {
    cmd.kill();
    const e = pipe.reason as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'ENOSPC'
        ? `the destination is full (no space left on device) while spooling ${tool} output`
        : `spooling ${tool} output failed: ${e.message}`,
    );
  }
  throwIfFailed(exit, tool, runner.where, err());
  if (counter.size === 0)
    throw new Error(`${tool} on ${runner.where} produced no output`);
  return { sha256: counter.digest(), size: counter.size };
}
