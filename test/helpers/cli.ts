// The CLI bundle run as a user runs it: its own working directory (where
// ./pqc-ops-plans and ./pqc-ops-results land, never the repository), a
// RUNNER_TEMP, PATH and whatever environment the test adds.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionEntry } from './bundle.js';

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** dist/cli/index.js of the bundle the tests run (refused when stale). */
export function cliEntry(): string {
  return join(actionEntry('health'), '..', '..', 'cli', 'index.js');
}

/** Runs `pqc-ops <args>` to its end. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [cliEntry(), ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'pqc-ops-cli-cwd-')),
    env: {
      PATH: process.env['PATH'] ?? '',
      RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'pqc-ops-cli-')),
      ...env,
    },
  });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, out, err })),
  );
}
