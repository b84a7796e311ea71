// The safety-critical set that `npm run mutation` mutates, and the test files
// that guard each entry. One list, read by the Stryker config, its vitest
// config and scripts/mutation.mjs. An entry may be a line range
// (`file:from-to`) when only one function of a bigger file guards production.
export const SAFETY_CRITICAL = [
  {
    mutate: 'src/plan/change-control.ts',
    tests: [
      'test/plan/change-control.test.ts',
      'test/plan/drift-skip.test.ts',
      'test/plan/guards.test.ts',
    ],
  },
  {
    mutate: 'src/plan/plan.ts',
    tests: [
      'test/plan/plan.test.ts',
      'test/plan/change-control.test.ts',
      'test/plan/guards.test.ts',
      'test/plan/plan-properties.test.ts',
    ],
  },
  {
    mutate: 'src/archive/retention.ts',
    tests: ['test/archive/retention.test.ts'],
  },
  {
    mutate: 'src/archive/naming.ts',
    tests: ['test/archive/naming.test.ts', 'test/archive/retention.test.ts'],
  },
  {
    mutate: 'src/archive/manifest.ts',
    tests: ['test/archive/manifest.test.ts', 'test/archive/format-v1.test.ts'],
  },
  {
    mutate: 'src/archive/archive-reader.ts',
    tests: ['test/archive/reader.test.ts', 'test/archive/format-v1.test.ts'],
  },
  {
    mutate: 'src/inputs/parsers.ts',
    tests: [
      'test/inputs/parsers.test.ts',
      'test/inputs/duration-bounds.test.ts',
      'test/inputs/path.test.ts',
      'test/inputs/limits.test.ts',
    ],
  },
  {
    mutate: 'src/kube/lease.ts',
    tests: ['test/kube/lease.test.ts', 'test/kube/lease-guards.test.ts'],
  },
  { mutate: 'src/cli/redact.ts', tests: ['test/cli/redact.test.ts'] },
  // maskAll: the secrets of every input, and each credential line of a multi-line one.
  { mutate: 'src/execute.ts:73-86', tests: ['test/framework/mask.test.ts'] },
  // readInputs: a secret masked before anything else is done with it, never echoed in an error.
  {
    mutate: 'src/inputs/read.ts',
    tests: ['test/framework/mask.test.ts'],
  },
];

/** The file part of an entry (`src/execute.ts:73-86` -> `src/execute.ts`). */
export function fileOf(mutate) {
  return mutate.replace(/:\d+-\d+$/, '');
}

/**
 * The test files for the entries whose file is in `files` (all when empty);
 * test files that do not exist are left out.
 */
export function testsFor(files, exists) {
  const chosen = SAFETY_CRITICAL.filter(
    (e) =>
      files.length === 0 ||
      files.includes(fileOf(e.mutate)) ||
      files.includes(e.mutate),
  );
  return [...new Set(chosen.flatMap((e) => e.tests))].filter(exists);
}
