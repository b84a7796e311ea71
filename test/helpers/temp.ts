// Temp directories for a test file, all removed after its tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A maker of fresh `pqc-ops-<label>-*` directories, removed after all tests. */
export function tempDirs(label: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), `pqc-ops-${label}-`));
    dirs.push(d);
    return d;
  };
}
