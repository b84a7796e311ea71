// `npm run sandbox` on a machine without the Pushgateway and the age program:
// a PATH of symlinks to everything else, and no installing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const HIDDEN = new Set([
  'prometheus-pushgateway',
  'prometheus',
  'promtool',
  'age',
  'age-keygen',
  'node',
]);

/** A directory of symlinks to every program on PATH except the hidden ones. */
function pathWithout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-sandbox-path-'));
  // The Node that runs the tests (24), not an older system one.
  symlinkSync(process.execPath, join(dir, 'node'));
  const dirs = (process.env['PATH'] ?? '').split(delimiter);
  for (const d of [...dirs, '/usr/local/bin', '/usr/bin', '/bin']) {
    if (!d || !existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      if (HIDDEN.has(f) || existsSync(join(dir, f))) continue;
      symlinkSync(join(d, f), join(dir, f));
    }
  }
  return dir;
}

function run(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', 'sandbox.ts')],
      { cwd: root, env },
    );
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += String(d)));
    c.stderr.on('data', (d: Buffer) => (output += String(d)));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('npm run sandbox', () => {
  it('runs pqc-ops daily without the Pushgateway and the age program, and says so', async () => {
    const path = pathWithout();
    expect(existsSync(join(path, 'prometheus-pushgateway'))).toBe(false);
    expect(existsSync(join(path, 'age'))).toBe(false);
    const { PUSHGATEWAY_BIN: _p, ...rest } = process.env;
    const r = await run({
      ...rest,
      PATH: path,
      PQC_OPS_SANDBOX_NO_INSTALL: '1',
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(
      'sandbox: running WITHOUT the Pushgateway: prometheus-pushgateway is not installed (PQC_OPS_SANDBOX_NO_INSTALL=1, so nothing is installed); backup metrics are not pushed.',
    );
    expect(r.output).toContain('sandbox: the age program is not installed');
    expect(r.output).toContain('sandbox: pqc-ops daily exited 0');
    // Encrypted all the same, by the age-encryption package.
    expect(r.output).toMatch(
      /sandbox: backup archives: pqc-audit-backup_\d{8}_\d{6}\.tar\.age\n/,
    );
    expect(r.output).toContain('sandbox: Pushgateway: none');
  }, 120_000);
});
