// Points the runner's files at temp paths and restores process.env after
// each test, so tests never leak state into one another.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

let saved: NodeJS.ProcessEnv;

beforeEach(() => {
  saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-test-'));
  for (const [k, f] of [
    ['GITHUB_OUTPUT', 'output'],
    ['GITHUB_STEP_SUMMARY', 'summary'],
  ] as const) {
    writeFileSync(join(dir, f), '');
    process.env[k] = join(dir, f);
  }
  process.env['RUNNER_TEMP'] = dir;
  for (const k of Object.keys(process.env)) {
    if (k.startsWith('INPUT_')) delete process.env[k];
  }
});

afterEach(() => {
  for (const k of Object.keys(process.env)) {
    if (!(k in saved)) delete process.env[k];
  }
  Object.assign(process.env, saved);
});
