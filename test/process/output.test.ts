import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastError } from '../../src/process/output.js';
import { LocalRunner, runToEnd } from '../../src/process/runner.js';

describe('lastError', () => {
  it("a missing appdata path keeps tar's own reason, not 'Error is not recoverable'", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'out-')), 'no-such-data');
    const r = await runToEnd(new LocalRunner(), [
      'tar',
      '-C',
      missing,
      '-cf',
      '-',
      '.',
    ]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/not recoverable/);
    const line = lastError(r.stderr);
    expect(line).toContain(missing);
    expect(line).toMatch(/No such file or directory/);
    expect(line).not.toMatch(/not recoverable/);
  });

  it('picks the error lines of a tool, and the last line when none says error', () => {
    expect(
      lastError('pg_dump: notice\npg_dump: error: connection failed\n'),
    ).toBe('pg_dump: error: connection failed');
    expect(lastError('just one\nthe last\n')).toBe('the last');
    expect(lastError('')).toBe('no message');
    expect(
      lastError('tar: Exiting with failure status due to previous errors'),
    ).toBe('tar: Exiting with failure status due to previous errors');
  });
});
