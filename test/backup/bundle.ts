import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
let built: string | undefined;

/**
 * The bundled entry of an action, as the runner starts it: `dist/<name>/index.js`
 * (or `$PQC_OPS_DIST/<name>/index.js`). When the committed dist does not have
 * it yet, the shared library is bundled once with ncc into a temp dir.
 */
export function actionEntry(name: string, fresh = false): string {
  const dist = process.env['PQC_OPS_DIST'] ?? join(root, 'dist');
  if (!fresh && existsSync(join(dist, name, 'index.js')))
    return join(dist, name, 'index.js');
  if (!built) {
    built = mkdtempSync(join(tmpdir(), 'pqc-ops-dist-'));
    execFileSync(
      join(root, 'node_modules/.bin/ncc'),
      ['build', 'src/lib.ts', '-m', '-q', '-o', join(built, 'lib')],
      { cwd: root, stdio: 'ignore' },
    );
    writeFileSync(join(built, 'package.json'), '{ "type": "module" }\n');
  }
  mkdirSync(join(built, name), { recursive: true });
  writeFileSync(
    join(built, name, 'index.js'),
    `import { runAction } from '../lib/index.js';\nawait runAction(${JSON.stringify(name)});\n`,
  );
  return join(built, name, 'index.js');
}

/** What a bundled action run left behind. */
export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
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

/** Runs an action's bundle with INPUT_* variables and runner files, as a runner does. */
export function runAction(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const entry = actionEntry(name);
  const runnerTemp = mkdtempSync(join(tmpdir(), `pqc-ops-runner-${name}-`));
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
    env[`INPUT_${k.toUpperCase()}`] = v;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [entry], { env, cwd: runnerTemp });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    c.on('error', reject);
    c.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        outputs: parseOutputs(readFileSync(outFile, 'utf8')),
        summary: readFileSync(sumFile, 'utf8'),
        runnerTemp,
      }),
    );
  });
}
