// Runs a bundled action the way the runner does: `node dist/<name>/index.js`
// with INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a fresh
// RUNNER_TEMP as the working directory, and little else in the environment.
import {
  execFileSync,
  spawn,
  type ChildProcessWithoutNullStreams,
} from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceHash } from '../../scripts/source-hash.mjs';

export const root = new URL('../..', import.meta.url).pathname;
let built: string | undefined;

/**
 * The bundled entry of an action: `dist/<name>/index.js` (or
 * `$PQC_OPS_DIST/<name>/index.js`). With `fresh`, or when dist/ does not have
 * it, the current source is built once by scripts/build.mjs into a temp dir,
 * exactly as `npm run build` builds dist/ (benchmarks measure the code as it
 * is, not as last committed).
 */
export function actionEntry(name: string, fresh = false): string {
  const dist = process.env['PQC_OPS_DIST'] ?? join(root, 'dist');
  if (!fresh && existsSync(join(dist, name, 'index.js'))) {
    refuseStale(dist);
    return join(dist, name, 'index.js');
  }
  if (!built) {
    built = mkdtempSync(join(tmpdir(), 'pqc-ops-dist-'));
    execFileSync(
      process.execPath,
      [join(root, 'scripts', 'build.mjs'), '--out', built],
      { cwd: root, stdio: 'ignore' },
    );
  }
  return join(built, name, 'index.js');
}

let checked: string | undefined;

/**
 * Refuses to run a dist/ built from other sources than the ones beside it:
 * the end-to-end tests would pass on yesterday's code. The build records the
 * sha256 of src/ and the lockfile in dist/.pqc-ops-dist.
 */
export function refuseStale(dist: string): void {
  if (checked === dist) return;
  const marker = join(dist, '.pqc-ops-dist');
  const built = existsSync(marker)
    ? /^source-sha256: ([0-9a-f]{64})$/m.exec(readFileSync(marker, 'utf8'))?.[1]
    : undefined;
  const now = sourceHash(root);
  if (built !== now)
    throw new Error(
      `${dist} was built from other sources (${built?.slice(0, 12) ?? 'no source hash'}, src/ is ${now.slice(0, 12)}): run npm run build first`,
    );
  checked = dist;
}

/** What a bundled action run left behind. */
export interface BundleRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
  /** Every file the run wrote under RUNNER_TEMP, plus its output, for leak searches. */
  allWritten(): string;
}

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks and `name=value` lines). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    const m = /^([^=<]+)<<(.+)$/.exec(l);
    if (m) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== m[2]) body.push(lines[i] ?? '');
      out[m[1] ?? ''] = body.join('\n');
    } else if (l.includes('='))
      out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  }
  return out;
}

function readAll(dir: string): string {
  let s = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile())
      s += readFileSync(join(e.parentPath, e.name), 'latin1') + '\n';
  }
  return s;
}

/** An action's bundle started as the runner starts it, still running. */
export interface StartedBundle {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  runnerTemp: string;
  /** stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended, with everything it left behind. */
  finished: Promise<BundleRun & { endedAt: number }>;
}

/**
 * Waits until the running bundle's stdout shows `marker`, polling every
 * 50 ms; throws with the output so far after `timeoutMs`.
 */
export async function waitForOutput(
  run: StartedBundle,
  marker: string | RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  const seen = () =>
    typeof marker === 'string'
      ? run.stdout().includes(marker)
      : marker.test(run.stdout());
  const deadline = Date.now() + timeoutMs;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error(run.stdout());
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawns an action's bundle with the given inputs (by input name) as the
 * runner does: INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * a fresh RUNNER_TEMP as the working directory, little else in the
 * environment. Returns at once, so a test can watch or signal the process.
 */
export function startBundle(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): StartedBundle {
  const entry = actionEntry(name);
  const runnerTemp =
    extraEnv['RUNNER_TEMP'] ??
    mkdtempSync(join(tmpdir(), `pqc-ops-runner-${name}-`));
  const outFile = join(runnerTemp, 'output');
  const sumFile = join(runnerTemp, 'summary');
  writeFileSync(outFile, '');
  writeFileSync(sumFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    RUNNER_TEMP: runnerTemp,
    GITHUB_OUTPUT: outFile,
    GITHUB_STEP_SUMMARY: sumFile,
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const child = spawn(process.execPath, [entry], { env, cwd: runnerTemp });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const finished = new Promise<BundleRun & { endedAt: number }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code: code ?? 1,
          endedAt: Date.now(),
          stdout,
          stderr,
          outputs: parseOutputs(readFileSync(outFile, 'utf8')),
          summary: readFileSync(sumFile, 'utf8'),
          runnerTemp,
          allWritten: () => readAll(runnerTemp) + stdout + stderr,
        }),
      );
    },
  );
  return {
    child,
    pid: child.pid ?? 0,
    runnerTemp,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
  };
}

/** Runs an action's bundle to its end (killed after `timeoutMs`). */
export async function runBundle(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<BundleRun> {
  const b = startBundle(name, inputs, extraEnv);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      b.child.kill('SIGKILL');
      reject(
        new Error(
          `${name} bundle did not finish in ${timeoutMs} ms; stdout so far:\n${b.stdout()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    const { endedAt: _e, ...run } = await Promise.race([b.finished, timeout]);
    return run;
  } finally {
    clearTimeout(timer);
  }
}

/** The name the backup tests use. */
export const runAction = runBundle;
