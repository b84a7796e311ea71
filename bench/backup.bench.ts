// Backup and verify throughput and memory against pg_dump and pg_restore alone,
// on a generated database (BENCH_BACKUP_MB, default 1024 MB; a quarter-size
// database is measured too, to show memory stays flat as the database grows).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { startPostgres } from '../test/services/postgres.js';
import { actionEntry } from '../test/helpers/bundle.js';
import { elapsed, generate, runBundle, sh } from './bundle-run.js';
import type { BenchReport, BenchRow } from './run.js';

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
      const base = await elapsed(() =>
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
        const b = await elapsed(() =>
          runBundle('backup', {
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
          const pr = await elapsed(() =>
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
          const v = await elapsed(() =>
            runBundle('backup-verify', {
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
