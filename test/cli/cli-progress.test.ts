// Progress of a long backup through the real CLI: on stderr, a line per
// --progress-interval with bytes, rate and ETA; stdout keeps the StepResult
// alone with --json.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgServer } from '../services/index.js';
import { cliEntry } from '../helpers/cli.js';
import { seedDatabase } from '../helpers/procedure.js';

let pg: PgServer;
let dir: string;

beforeAll(async () => {
  pg = await startPostgres();
  await seedDatabase(pg, 'pqc_audit', 500);
  // About 200 MB of rows: the dump takes seconds.
  await pg.psql(
    'CREATE TABLE public.big AS SELECT i, md5(i::text) || repeat(md5((i * 7)::text), 12) AS pad FROM generate_series(1, 500000) i',
    'pqc_audit',
  );
  dir = mkdtempSync(join(tmpdir(), 'pqc-ops-cli-progress-'));
}, 300_000);
afterAll(async () => {
  await pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('pqc-ops progress (the real CLI)', () => {
  it('prints a dump line per interval on stderr, and --json stays the StepResult alone', async () => {
    const cli = cliEntry();
    const child = spawn(
      process.execPath,
      [
        cli,
        'backup',
        '--destination',
        dir,
        '--include',
        'database',
        '--progress-interval',
        '1s',
        '--json',
      ],
      {
        cwd: dir,
        env: {
          PATH: process.env['PATH'] ?? '',
          PQC_OPS_DATABASE_URL: pg.url('pqc_audit'),
        },
      },
    );
    const lines: { at: number; text: string }[] = [];
    let out = '';
    let partial = '';
    child.stderr.on('data', (c: Buffer) => {
      partial += c.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at: Date.now(), text });
    });
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code, lines.map((l) => l.text).join('\n')).toBe(0);
    const dump = lines.filter((l) => l.text.startsWith('dump: '));
    expect(
      dump.length,
      lines.map((l) => l.text).join('\n'),
    ).toBeGreaterThanOrEqual(2);
    for (const l of dump)
      expect(l.text).toMatch(
        /^dump: [\d.]+ (B|KiB|MiB) of ~[\d.]+ MiB \(\d+%\)(, [\d.]+ (B|KiB|MiB)\/s(, ETA \S+)?)?$/,
      );
    for (let i = 1; i < dump.length; i++)
      expect(dump[i].at - dump[i - 1].at).toBeGreaterThan(800);
    const result = JSON.parse(out) as { procedure: string; status: string };
    expect(result.procedure).toBe('backup');
  });
});
