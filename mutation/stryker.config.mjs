// Stryker over the safety-critical set (mutation/files.mjs). Run it through
// `npm run mutation` (scripts/mutation.mjs), which checks the per-file break
// threshold; `PQC_MUTATE` (comma-separated entries) narrows the run.
import { SAFETY_CRITICAL } from './files.mjs';

const only = (process.env['PQC_MUTATE'] ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const mutate = only.length > 0 ? only : SAFETY_CRITICAL.map((e) => e.mutate);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.mjs', related: false },
  // The TypeScript checker type-checks all of src for each mutant (about 10 s
  // a mutant, against 1 s for the tests): opt in with PQC_MUTATION_TYPECHECK=1.
  // Without it a mutant TypeScript would reject runs as JavaScript and must
  // be killed by a test (or listed in EQUIVALENT.md) like any other.
  checkers: process.env['PQC_MUTATION_TYPECHECK'] === '1' ? ['typescript'] : [],
  tsconfigFile: 'mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate,
  // Only what the tests need goes into the sandbox.
  ignorePatterns: [
    'dist',
    'actions',
    'bench',
    'deploy',
    'reports',
    '.github',
    '*.md',
  ],
  concurrency: Number(process.env['PQC_MUTATION_CONCURRENCY'] ?? 1),
  timeoutMS: 20_000,
  // Per file: scripts/mutation.mjs fails when any file is under `break`.
  thresholds: { high: 90, low: 85, break: null },
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
