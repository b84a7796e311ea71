// Removes the test run's temp directory (made by vitest.config.ts, TMPDIR for
// every worker and every process a test starts) at the end. A run that still
// leaves a `pqc-ops-*` entry in the machine's temp directory fails: something
// wrote there behind TMPDIR's back. PQC_OPS_TMP_CHECK=0 turns the check off
// when other runs share the machine's temp directory.
import { readdirSync, rmSync } from 'node:fs';

export default function setup(): () => void {
  const sandbox = process.env['PQC_OPS_TEST_SANDBOX'];
  const real = process.env['PQC_OPS_REAL_TMPDIR'];
  if (!sandbox || !real)
    throw new Error('vitest.config.ts did not make the test temp directory');
  const before = new Set(readdirSync(real));
  return () => {
    rmSync(sandbox, { recursive: true, force: true });
    if (process.env['PQC_OPS_TMP_CHECK'] === '0') return;
    const left = readdirSync(real).filter(
      (n) =>
        n.startsWith('pqc-ops-') &&
        !before.has(n) &&
        n !== sandbox.split('/').pop(),
    );
    if (left.length > 0)
      throw new Error(
        `the test run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in ${real}: ${left.slice(0, 5).join(', ')} (set PQC_OPS_TMP_CHECK=0 when other runs share this temp directory)`,
      );
  };
}
