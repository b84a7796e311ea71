// Backup and verify throughput and memory against pg_dump and pg_restore alone,
// on a generated database (BENCH_BACKUP_MB, default 1024 MB; a quarter-size
// database is measured too, to show memory stays flat as the database grows).
import { spawn } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { startPostgres, type PgServer } from '../test/services/postgres.js';
import { actionEntry, parseOutputs } from '../test/helpers/bundle.js';
import type { BenchReport, BenchRow } from './run.js';

function sh(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{
  code: number;
  stdout: string;
  stderr: string;
  maxRssKiB: number;
}> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    c.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    c.on('error', reject);
    c.on('close', (code) =>
      resolve({ code: code ?? 1, stdout, stderr, maxRssKiB: 0 }),
    );
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ s: number; v: T }> {
  const t = process.hrtime.bigint();
  const v = await fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, v };
}

/** Runs an action's bundle as the runner does; returns its outputs and peak RSS. */
async function child(
  name: string,
  inputs: Record<string, string>,
): Promise<{ maxRssKiB: number; outputs: Record<string, string> }> {
  const entry = actionEntry(name, true);
  const temp = mkdtempSync(join(tmpdir(), 'pqc-bench-runner-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    RUNNER_TEMP: temp,
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
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

async function generate(pg: PgServer, db: string, mb: number): Promise<number> {
  await pg.createDatabase(db);
  const rows = Math.round((mb * 1024 * 1024) / 240);
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

/** The backup benchmark. */
export async function run(): Promise<BenchReport> {
  const mb = Number(process.env['BENCH_BACKUP_MB'] ?? 1024);
  // Bundle the current source once, before anything is timed.
  actionEntry('backup', true);
  actionEntry('backup-verify', true);
  const pg = await startPostgres();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pqc-bench-backup-'));
  const env = { ...process.env, ...pg.env() };
  const recipient = await age.identityToRecipient(
    await age.generateX25519Identity(),
  );
  try {
    for (const size of [Math.round(mb / 4), mb]) {
      const db = `bench_${size}`;
      const bytes = await generate(pg, db, size);
      const dbMB = bytes / 1e6;
      const base = await timed(() =>
        sh('pg_dump', ['-Fc', '-d', db, '-f', join(dir, `${db}.dump`)], env),
      );
      const dumpSize = statSync(join(dir, `${db}.dump`)).size;
      rows.push({
        case: `pg_dump -Fc > file (${Math.round(dbMB)} MB db)`,
        seconds: base.s.toFixed(1),
        'MB/s (db)': (dbMB / base.s).toFixed(1),
        'vs pg_dump': '1.00',
        'peak RSS MiB': '-',
        output: `${(dumpSize / 1e6).toFixed(0)} MB`,
      });
      for (const [compression, enc] of [
        ['pg', false],
        ['pg', true],
        ['zstd', false],
        ['zstd', true],
      ] as const) {
        const dest = join(dir, `${db}-${compression}-${enc ? 'enc' : 'plain'}`);
        const b = await timed(() =>
          child('backup', {
            'database-url': pg.url(db),
            destination: dest,
            include: 'database',
            compression,
            ...(enc ? { 'age-recipients': recipient } : {}),
          }),
        );
        rows.push({
          case: `pqc-ops backup${compression === 'zstd' ? ' compression: zstd' : ''}${enc ? ' + age' : ''} (${Math.round(dbMB)} MB db)`,
          seconds: b.s.toFixed(1),
          'MB/s (db)': (dbMB / b.s).toFixed(1),
          'vs pg_dump': (base.s / b.s).toFixed(2),
          'peak RSS MiB': (b.v.maxRssKiB / 1024).toFixed(0),
          output: `${(Number(b.v.outputs['size']) / 1e6).toFixed(0)} MB`,
        });
        if (size === mb && !enc && compression === 'pg') {
          await pg.createDatabase(`${db}_r`);
          const pr = await timed(() =>
            sh('pg_restore', ['-d', `${db}_r`, join(dir, `${db}.dump`)], env),
          );
          rows.push({
            case: `pg_restore file (${Math.round(dbMB)} MB db)`,
            seconds: pr.s.toFixed(1),
            'MB/s (db)': (dbMB / pr.s).toFixed(1),
            'vs pg_dump': '-',
            'peak RSS MiB': '-',
            output: '',
          });
          const v = await timed(() =>
            child('backup-verify', {
              archive: b.v.outputs['archive'] ?? '',
              'scratch-database-url': pg.url(`${db}_scratch`),
            }),
          );
          rows.push({
            case: `pqc-ops backup-verify (${Math.round(dbMB)} MB db)`,
            seconds: v.s.toFixed(1),
            'MB/s (db)': (dbMB / v.s).toFixed(1),
            'vs pg_dump': `${(pr.s / v.s).toFixed(2)} of pg_restore`,
            'peak RSS MiB': (v.v.maxRssKiB / 1024).toFixed(0),
            output: '',
          });
        }
        rmSync(dest, { recursive: true, force: true });
      }
      rmSync(join(dir, `${db}.dump`), { force: true });
      await pg.psql(`DROP DATABASE ${db}; DROP DATABASE IF EXISTS ${db}_r`);
    }
    notes.push(
      'Throughput is database size (pg_database_size) over wall time. The pqc-ops rows include process start-up, the snapshot session with per-table row counts, spooling, the tar/age pass, fsync and the re-read of the archive. The pqc-ops rows run the bundled action (`dist/<name>/index.js`, or the shared library bundled with ncc when dist/ lacks it) with INPUT_* variables, as a runner does; peak RSS is that whole Node process.',
    );
  } finally {
    await pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'backup and backup-verify vs pg_dump and pg_restore',
    command: 'npm run bench -- backup',
    rows,
    notes,
  };
}
