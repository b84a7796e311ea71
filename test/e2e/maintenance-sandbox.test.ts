// `npm run sandbox` with every peer: the daily chain through the CLI bundle,
// then the maintenance log of that run, printed last.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseStale, root } from '../helpers/bundle.js';

function sandbox(): Promise<{ code: number; stdout: string; all: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', 'sandbox.ts')],
      { cwd: root, env: { ...process.env, PQC_OPS_SANDBOX_NO_INSTALL: '1' } },
    );
    let stdout = '';
    let all = '';
    c.stdout.on('data', (d: Buffer) => {
      stdout += String(d);
      all += String(d);
    });
    c.stderr.on('data', (d: Buffer) => (all += String(d)));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 1, stdout, all }));
  });
}

describe('npm run sandbox', () => {
  it('runs the daily chain and prints its maintenance log last', async () => {
    refuseStale(process.env['PQC_OPS_DIST'] ?? join(root, 'dist'));
    const r = await sandbox();
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain('sandbox: pqc-ops daily exited 0');
    expect(r.all).toContain(
      'sandbox: Pushgateway: pqc_backup_success 1, pqc_health_status 1',
    );
    expect(r.all).toContain('sandbox: pqc-ops maintenance-log exited 0');
    expect(r.all).toContain('sandbox: the maintenance log:\n');
    // The log is what stdout ends with (the chain's reports come before it).
    const log = r.stdout.slice(r.stdout.lastIndexOf('# Maintenance Log - '));
    expect(log).toMatch(/^# Maintenance Log - \d{4}-\d{2}-\d{2}\n/);
    for (const section of [
      '## Pre-maintenance Status',
      '## Maintenance Activities',
      '## Post-maintenance Validation',
      '## Issues Encountered',
      '## Next Maintenance Items',
    ])
      expect(log).toContain(`\n${section}\n`);
    expect(log).toContain('- [x] System health checks (health): passed');
    expect(log).toContain('- [x] Backup (backup): passed');
    expect(log).toContain(
      '- [x] Alert validation: the maintenance metrics reached the Pushgateway',
    );
    expect(log).toMatch(/\nDuration: \S+ - \S+/);
  }, 180_000);
});
