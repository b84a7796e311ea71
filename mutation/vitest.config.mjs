// The vitest set Stryker runs: only the tests that guard the safety-critical
// files (mutation/files.mjs), narrowed to those of PQC_MUTATE when set.
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { testsFor } from './files.mjs';

const only = (process.env['PQC_MUTATE'] ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');

export default defineConfig({
  test: {
    include: testsFor(only, existsSync),
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
