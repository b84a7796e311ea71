import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectResults } from '../../../src/procedures/maintenance-log/collect.js';
import { result, writeResults } from './fixtures.js';

describe('collectResults', () => {
  it('reads nested artifact folders, once each, oldest first', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlog-collect-'));
    const job = join(root, 'job');
    const art = join(root, 'artifacts');
    writeResults(job, [result('backup', 'ok', 5)]);
    writeResults(join(art, 'results-health', 'pqc-ops', 'results'), [
      result('health', 'ok', 0),
    ]);
    writeResults(join(art, 'results-backup'), [result('backup', 'ok', 5)]);
    writeResults(join(art, 'results-self'), [
      result('maintenance-log', 'ok', 9),
    ]);
    const got = await collectResults([job, art, job]);
    expect(got.results.map((r) => r.procedure)).toEqual(['health', 'backup']);
    expect(got.unreadable).toEqual([]);
    expect(got.missing).toEqual([]);
  });

  it('reports what does not parse, passes over plans, never throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlog-collect-'));
    writeFileSync(join(dir, 'cut.json'), '{"procedure": "backup", "sta');
    writeFileSync(join(dir, 'array.json'), '[1, 2]');
    writeFileSync(
      join(dir, 'no-status.json'),
      JSON.stringify({ ...result('health', 'ok', 0), status: 'great' }),
    );
    writeFileSync(
      join(dir, 'scale-plan-abc.json'),
      JSON.stringify({
        apiVersion: 'pqc-ops/v1',
        kind: 'Plan',
        procedure: 'scale',
      }),
    );
    writeFileSync(join(dir, 'notes.txt'), 'not json at all');
    mkdirSync(join(dir, 'loop'));
    symlinkSync(dir, join(dir, 'loop', 'back'));
    writeResults(dir, [
      { ...result('health', 'ok', 0), checks: undefined } as never,
    ]);
    const got = await collectResults([dir, join(dir, 'nope')]);
    expect(got.results).toHaveLength(1);
    expect(got.results[0]?.checks).toEqual([]);
    expect(got.unreadable.map((u) => u.path.split('/').pop()).sort()).toEqual([
      'array.json',
      'cut.json',
      'no-status.json',
    ]);
    expect(
      got.unreadable.find((u) => u.path.endsWith('cut.json'))?.why,
    ).toMatch(/JSON/);
    expect(got.missing).toEqual([join(dir, 'nope')]);
  });
});
