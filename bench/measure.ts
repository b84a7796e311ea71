// Shared by the benchmarks: a process timed under GNU time, and the
// environment the runner gives an action.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Spawns under GNU time; wall ms, peak RSS in MiB, exit code and stdout. */
export function timed(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; rssMiB: number; code: number; out: string }> {
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({
        ms: performance.now() - t0,
        rssMiB: Number(err.trim().split('\n').pop()) / 1024,
        code: code ?? -1,
        out,
      }),
    ),
  );
}

/** INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files in `dir`, RUNNER_TEMP. */
export function actionEnv(
  dir: string,
  inputs: Record<string, string>,
): NodeJS.ProcessEnv {
  writeFileSync(join(dir, 'out'), '');
  writeFileSync(join(dir, 'sum'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_OUTPUT: join(dir, 'out'),
    GITHUB_STEP_SUMMARY: join(dir, 'sum'),
    RUNNER_TEMP: dir,
  };
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.toUpperCase()}`] = v;
  return env;
}
