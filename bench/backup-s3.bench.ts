// Backup into a bucket and backup-verify from it, against the runbook's way
// (pg_dump -Fc | aws s3 cp -, and aws s3 cp + pg_restore), on a generated
// database (BENCH_BACKUP_MB, default 1024 MB; a quarter-size database too, to
// show memory stays flat as the database grows). The store is s3rver from
// test/services/ on this machine, so the network is loopback and the
// store's own disk writes count for every case alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { startPostgres, type PgServer } from '../test/services/postgres.js';
import { startS3, type S3Server } from '../test/services/s3.js';
import { actionEntry } from '../test/helpers/bundle.js';
import { elapsed, generate, runBundle, sh } from './bundle-run.js';
import type { BenchReport, BenchRow } from './run.js';

const row = (
  name: string,
  s: number,
  dbMB: number,
  base: number | undefined,
  rssKiB?: number,
  out = '',
): BenchRow => ({
  case: name,
  seconds: s.toFixed(1),
  'MB/s (db)': (dbMB / s).toFixed(1),
  'vs baseline': base === undefined ? '1.00' : (base / s).toFixed(2),
  'peak RSS MiB': rssKiB ? (rssKiB / 1024).toFixed(0) : '-',
  output: out,
});

/** The bucket benchmark. */
export async function run(): Promise<BenchReport> {
  const mb = Number(process.env['BENCH_BACKUP_MB'] ?? 1024);
  actionEntry('backup', true);
  actionEntry('backup-verify', true);
  const [pg, s3]: [PgServer, S3Server] = await Promise.all([
    startPostgres(),
    startS3(['bench']),
  ]);
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pqc-bench-s3-'));
  const awsEnv = {
    ...process.env,
    ...pg.env(),
    ...s3.env(),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const recipient = await age.identityToRecipient(
    await age.generateX25519Identity(),
  );
  const common = {
    include: 'database',
    's3-endpoint': s3.endpoint,
    's3-force-path-style': 'true',
  };
  try {
    for (const size of [Math.round(mb / 4), mb]) {
      const db = `bench_${size}`;
      const dbMB = (await generate(pg, db, size)) / 1e6;
      const tag = `(${Math.round(dbMB)} MB db)`;
      const base = await elapsed(() =>
        sh(
          'sh',
          [
            '-c',
            `pg_dump -Fc -d "$0" | aws --endpoint-url "$1" s3 cp - "s3://bench/base/$0.dump"`,
            db,
            s3.endpoint,
          ],
          awsEnv,
        ),
      );
      if (base.v.code !== 0) throw new Error(`baseline: ${base.v.stderr}`);
      rows.push(
        row(`pg_dump -Fc | aws s3 cp - ${tag}`, base.s, dbMB, undefined),
      );
      for (const [compression, enc] of [
        ['pg', false],
        ['zstd', false],
        ['zstd', true],
      ] as const) {
        const b = await elapsed(() =>
          runBundle(
            'backup',
            {
              ...common,
              'database-url': pg.url(db),
              destination: `s3://bench/${db}-${compression}-${enc}/`,
              compression,
              ...(enc ? { 'age-recipients': recipient } : {}),
            },
            s3.env(),
          ),
        );
        rows.push(
          row(
            `pqc-ops backup to the bucket, compression ${compression}${enc ? ' + age' : ''} ${tag}`,
            b.s,
            dbMB,
            base.s,
            b.v.maxRssKiB,
            `${(Number(b.v.outputs['size']) / 1e6).toFixed(0)} MB`,
          ),
        );
        if (size === mb && compression === 'zstd' && !enc) {
          await pg.createDatabase(`${db}_r`);
          const dl = await elapsed(() =>
            sh(
              'sh',
              [
                '-c',
                `aws --endpoint-url "$1" s3 cp "s3://bench/base/$0.dump" "$2" && pg_restore -d "$0_r" "$2"`,
                db,
                s3.endpoint,
                join(dir, 'dl.dump'),
              ],
              awsEnv,
            ),
          );
          if (dl.v.code !== 0)
            throw new Error(`download+restore: ${dl.v.stderr}`);
          rows.push(
            row(
              `aws s3 cp (download) + pg_restore file ${tag}`,
              dl.s,
              dbMB,
              undefined,
            ),
          );
          const v = await elapsed(() =>
            runBundle(
              'backup-verify',
              {
                ...common,
                archive: b.v.outputs['archive'] ?? '',
                'scratch-database-url': pg.url(`${db}_scratch`),
              },
              s3.env(),
            ),
          );
          rows.push(
            row(
              `pqc-ops backup-verify streaming from the bucket ${tag}`,
              v.s,
              dbMB,
              dl.s,
              v.v.maxRssKiB,
            ),
          );
        }
      }
      await pg.psql(`DROP DATABASE ${db}; DROP DATABASE IF EXISTS ${db}_r`);
    }
  } finally {
    await Promise.all([pg.destroy(), s3.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title:
      'backup to a bucket and backup-verify from it vs pg_dump | aws s3 cp',
    command: 'npm run bench -- backup-s3',
    rows,
    notes: [
      'The store is s3rver on loopback (test/services/s3.ts): every case pays for its disk writes alike. Parts of 16 MiB (s3-part-size default), two in flight. The pqc-ops backup includes the snapshot session with row counts, the upload and the read-back of the whole object after completion (which the baseline does not do). backup-verify decrypts, checks every member and restores into a scratch database while the object streams; the baseline downloads the dump to disk first, then runs pg_restore. Peak RSS is the whole Node process of the bundled action.',
    ],
  };
}
