import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepResult } from './step-result.js';

/** Where results of this job are kept: `$RUNNER_TEMP/pqc-ops/results/`. */
export function resultsDir(
  env: NodeJS.ProcessEnv,
  fallbackTemp: string,
): string {
  return join(env['RUNNER_TEMP'] || fallbackTemp, 'pqc-ops', 'results');
}

/** Writes the result as `<time>-<procedure>.json`; returns its path. */
export async function persistResult(
  dir: string,
  r: StepResult,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = r.endedAt.replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}-${r.procedure}.json`);
  await writeFile(file, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
  return file;
}

/** Reads back every result in a directory, oldest first. */
export async function loadResults(dir: string): Promise<StepResult[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: StepResult[] = [];
  for (const n of names) {
    out.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as StepResult);
  }
  return out;
}
