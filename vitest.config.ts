import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The whole test run works in a temp directory of its own, made here, before
// any worker starts, so that every worker and every process a test starts
// inherits it as TMPDIR. test/global-setup.ts removes it at the end and checks
// that nothing was left in the machine's temp directory.
function sandbox(): string {
  const made = process.env['PQC_OPS_TEST_SANDBOX'];
  if (made) return made;
  const real = tmpdir();
  const dir = mkdtempSync(join(real, 'pqc-ops-testrun-'));
  // Like /tmp itself: the PostgreSQL test server runs as another user.
  chmodSync(dir, 0o1777);
  process.env['PQC_OPS_REAL_TMPDIR'] = real;
  process.env['PQC_OPS_TEST_SANDBOX'] = dir;
  process.env['TMPDIR'] = dir;
  return dir;
}

const dir = sandbox();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    env: { TMPDIR: dir },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
