// Shared by the backup benchmarks: a command's output, a call's wall time,
// an action's bundle run as the runner does (under bench/peak-rss.mjs), and
// a generated database of a given size.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgServer } from '../test/services/postgres.js';
import { actionEntry, parseOutputs } from '../test/helpers/bundle.js';

export function sh(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export async function elapsed<T>(
  fn: () => Promise<T>,
): Promise<{ s: number; v: T }> {
  const t = process.hrtime.bigint();
  const v = await fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, v };
}

/** Runs an action's bundle as the runner does; outputs and peak RSS. */
export async function runBundle(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<{ maxRssKiB: number; outputs: Record<string, string> }> {
  const entry = actionEntry(name, true);
  const temp = mkdtempSync(join(tmpdir(), 'pqc-bench-runner-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    RUNNER_TEMP: temp,
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    ...extraEnv,
  };
  writeFileSync(join(temp, 'output'), '');
  writeFileSync(join(temp, 'summary'), '');
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.toUpperCase()}`] = v;
  const r = await sh(
    process.execPath,
    [join(import.meta.dirname, 'peak-rss.mjs'), entry],
    env,
  );
  const outputs = parseOutputs(readFileSync(join(temp, 'output'), 'utf8'));
  rmSync(temp, { recursive: true, force: true });
  if (r.code !== 0)
    throw new Error(
      `${name} failed: ${r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? r.stderr}`,
    );
  return {
    outputs,
    maxRssKiB: Number(/pqc-ops-peak-rss-kib (\d+)/.exec(r.stderr)?.[1] ?? 0),
  };
}

export async function generate(
  pg: PgServer,
  db: string,
  mb: number,
): Promise<number> {
  await pg.createDatabase(db);
  const rows = Math.round((mb * 1024 * 1024) / 240);
  // psql directly: pg.psql() has a timeout meant for tests.
  const gen = await sh(
    'psql',
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      db,
      '-c',
      `CREATE TABLE findings (id bigint PRIMARY KEY, host text, algorithm text, note text);
     INSERT INTO findings SELECT i, 'host-' || (i % 997), (ARRAY['RSA-2048','ML-KEM-768','ML-DSA-65'])[1 + i % 3],
       md5(i::text) || md5((i * 31)::text) || md5((i * 17)::text) || md5((i * 7)::text) || ' Ünïcödé ✓'
     FROM generate_series(1, ${rows}) i;
     CREATE TABLE scans AS SELECT i AS id, md5(i::text) AS digest FROM generate_series(1, ${Math.round(rows / 10)}) i;`,
    ],
    { ...process.env, ...pg.env() },
  );
  if (gen.code !== 0) throw new Error(`generating ${db} failed: ${gen.stderr}`);
  return Number(await pg.psql(`SELECT pg_database_size('${db}')`));
}
