// Shared by the benchmarks: a process timed under GNU time, the
// environment the runner gives an action, medians, and standalone pods.
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

/** The median of xs (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/**
 * `runs` runs of argv under timed(): the median wall ms and peak RSS, every
 * exit code, and the last run's stdout. `env` is called before each run (an
 * action's output files are fresh each time).
 */
export async function medianOf(
  argv: string[],
  env: () => NodeJS.ProcessEnv,
  runs: number,
): Promise<{ ms: number; rss: number; codes: number[]; out: string }> {
  const ms: number[] = [];
  const rss: number[] = [];
  const codes: number[] = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const r = await timed(argv, env());
    ms.push(r.ms);
    rss.push(r.rssMiB);
    codes.push(r.code);
    out = r.out;
  }
  return { ms: median(ms), rss: median(rss), codes, out };
}

/** `count` standalone application pods (app=pqc-audit) on sim-node-1, with this image and resources. */
export function workerPods(
  count: number,
  namespace: string,
  image: string,
  resources: Record<string, Record<string, string>>,
): object[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pqc-audit-worker-${i}`,
      namespace,
      labels: { app: 'pqc-audit' },
    },
    spec: {
      nodeName: 'sim-node-1',
      containers: [{ name: 'pqc-audit', image, resources }],
    },
  }));
}
