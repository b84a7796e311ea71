// The whole test run works in a temp directory of its own: TMPDIR points
// there for every test worker and every process a test starts, and it is
// removed at the end. A run that still leaves a `pqc-ops-*` entry in the
// machine's temp directory fails: something wrote there behind TMPDIR's back.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const real = tmpdir();
  const before = new Set(readdirSync(real));
  const sandbox = mkdtempSync(join(real, 'pqc-ops-testrun-'));
  // Like /tmp itself: the PostgreSQL test server runs as another user.
  chmodSync(sandbox, 0o1777);
  process.env['TMPDIR'] = sandbox;
  return () => {
    process.env['TMPDIR'] = real;
    rmSync(sandbox, { recursive: true, force: true });
    // Off unless asked: test workers do not all inherit TMPDIR yet (issue 15 stays open).
    if (process.env['PQC_OPS_TMP_CHECK'] !== '1') return;
    const left = readdirSync(real).filter(
      (n) => n.startsWith('pqc-ops-') && !before.has(n),
    );
    if (left.length > 0)
      throw new Error(
        `the test run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in ${real}: ${left.slice(0, 5).join(', ')} (set PQC_OPS_TMP_CHECK=0 when other runs share this machine)`,
      );
  };
}
