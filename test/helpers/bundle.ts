// Runs a bundled action the way the runner does: `node dist/<name>/index.js`
// with INPUT_* variables and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

export interface BundleRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
  /** Every file the run wrote under RUNNER_TEMP, concatenated, for leak searches. */
  allWritten(): string;
}

/** Parses the GITHUB_OUTPUT file (`name<<delimiter` blocks). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const val: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++)
      val.push(lines[i] ?? '');
    out[m[1]] = val.join('\n');
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

/** Spawns the bundle with the given inputs (by input name). */
export function runBundle(
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<BundleRun> {
  const dir = mkdtempSync(join(tmpdir(), `bundle-${name}-`));
  const outFile = join(dir, 'output');
  const sumFile = join(dir, 'summary');
  writeFileSync(outFile, '');
  writeFileSync(sumFile, '');
  const inputEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs))
    inputEnv[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('INPUT_') && k !== 'KUBECONFIG',
    ),
  );
  const child = spawn(
    process.execPath,
    [join(root, 'dist', name, 'index.js')],
    {
      env: {
        ...clean,
        ...inputEnv,
        GITHUB_OUTPUT: outFile,
        GITHUB_STEP_SUMMARY: sumFile,
        RUNNER_TEMP: dir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} bundle did not finish in ${timeoutMs} ms; stdout so far:\n${stdout}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        outputs: parseOutputs(readFileSync(outFile, 'utf8')),
        summary: readFileSync(sumFile, 'utf8'),
        runnerTemp: dir,
        allWritten: () => readAll(dir) + stdout + stderr,
      });
    });
  });
}
