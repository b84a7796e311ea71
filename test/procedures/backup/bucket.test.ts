// backup to a bucket: streamed as a multipart upload into a real S3 server we
// did not write (s3rver), read back with an independent client (the AWS
// CLI), decrypted with the age CLI, extracted with GNU tar, restored with
// pg_restore.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { archiveName } from '../../../src/archive/naming.js';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { archiveBucket } from '../../../src/storage/s3-archives.js';
import {
  startPostgres,
  startPushgateway,
  startS3,
  type PgServer,
  type Pushgateway,
  type S3Server,
} from '../../services/index.js';
import {
  fingerprint,
  run,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';

let pg: PgServer;
let gw: Pushgateway;
let s3: S3Server;
let before: Record<string, string>;

beforeAll(async () => {
  [pg, gw, s3] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startS3(['backups', 'other']),
  ]);
  await seedDatabase(pg, 'pqc_audit');
  // Random bytes pg_dump cannot compress: about 13 MB, several 5 MiB parts.
  await pg.psql(
    `CREATE TABLE public.blobs AS SELECT i, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b FROM generate_series(1, 200000) i`,
    'pqc_audit',
  );
  before = await fingerprint(pg, 'pqc_audit');
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop(), s3?.stop()]);
});
beforeEach(async () => {
  await s3.reset();
  // The SDK's default credential chain reads the environment (test/setup.ts
  // restores it after each test).
  Object.assign(process.env, s3.env());
});

const inputs = (extra: Record<string, string> = {}) => ({
  'database-url': pg.url('pqc_audit'),
  include: 'database',
  's3-endpoint': s3.endpoint,
  's3-force-path-style': 'true',
  's3-part-size': '5MiB',
  'pushgateway-url': gw.url,
  ...extra,
});

describe('backup to a bucket', () => {
  it('uploads in parts; aws s3 cp, age -d, tar -x and pg_restore give the same data', async () => {
    const identity = await age.generateX25519Identity();
    const ex = await runProcedure(
      backup,
      inputs({
        destination: 's3://backups/daily/pqc/',
        'age-recipients': await age.identityToRecipient(identity),
      }),
    );
    expect(ex.failure).toBeUndefined();
    expect(ex.result.status).toBe('ok');
    const url = ex.outputs['archive'];
    expect(url).toMatch(
      /^s3:\/\/backups\/daily\/pqc\/pqc-audit-backup_\d{8}_\d{6}\.tar\.age$/,
    );
    const log = await s3.log();
    const parts = log.filter((r) => r.op === 'UploadPart');
    expect(parts.length).toBeGreaterThan(1);
    expect(log.filter((r) => r.op === 'CompleteMultipartUpload')).toHaveLength(
      1,
    );
    // Part 1 holds the manifest, filled in at the end: it goes up after
    // part 2 (and the last part after it).
    const order = parts.map((r) => r.query['partNumber']);
    expect(order.indexOf('1')).toBeGreaterThan(order.indexOf('2'));
    expect(await s3.uploads()).toEqual([]);
    // The verified sha256 is in the object's metadata, read by the AWS CLI.
    const key = url.slice('s3://backups/'.length);
    const head = await s3.aws([
      's3api',
      'head-object',
      '--bucket',
      'backups',
      '--key',
      key,
    ]);
    expect(head.code, head.stderr).toBe(0);
    expect(
      (JSON.parse(head.stdout) as { Metadata: Record<string, string> })
        .Metadata,
    ).toEqual({
      'pqc-ops-format': 'pqc-ops-backup',
      'pqc-ops-sha256': ex.outputs['sha256'],
    });
    expect(
      ex.result.checks.find((c) => c.name === 'archive')?.observed,
    ).toContain("sha256 in the object's metadata (pqc-ops-sha256)");

    const dir = mkdtempSync(join(tmpdir(), 'bk-s3-rt-'));
    const cp = await s3.aws(['s3', 'cp', url, join(dir, 'archive.tar.age')]);
    expect(cp.code, cp.stderr).toBe(0);
    writeFileSync(join(dir, 'key'), identity + '\n', { mode: 0o600 });
    const x = await run(
      'sh',
      [
        '-c',
        'age -d -i key archive.tar.age | tar -xf - && sha256sum -c manifest.sha256 && sha256sum archive.tar.age',
      ],
      { cwd: dir },
    );
    expect(x.code, x.stderr.toString()).toBe(0);
    expect(x.stdout.toString()).toContain(ex.outputs['sha256']);
    expect(readdirSync(dir).sort()).toEqual([
      'archive.tar.age',
      'database.dump',
      'key',
      'manifest.json',
      'manifest.sha256',
    ]);
    await pg.createDatabase('from_bucket');
    const r = await run(
      'pg_restore',
      ['-d', 'from_bucket', join(dir, 'database.dump')],
      { env: { ...process.env, ...pg.env() } },
    );
    expect(r.stderr).toBe('');
    expect(await fingerprint(pg, 'from_bucket')).toEqual(before);
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(1);
  });

  it('compression: zstd to a bucket: aws s3 cp - | zstd -d | tar -x reads it', async () => {
    const ex = await runProcedure(
      backup,
      inputs({ destination: 's3://backups', compression: 'zstd' }),
    );
    expect(ex.failure).toBeUndefined();
    expect(ex.outputs['archive']).toMatch(
      /^s3:\/\/backups\/pqc-audit-backup_\d{8}_\d{6}\.tar\.zst$/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bk-s3-zst-'));
    const x = await run(
      'sh',
      [
        '-c',
        `aws --endpoint-url "$1" s3 cp "$0" - | zstd -dc | tar -xf - && sha256sum -c manifest.sha256`,
        ex.outputs['archive'],
        s3.endpoint,
      ],
      {
        cwd: dir,
        env: {
          ...process.env,
          ...s3.env(),
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
    );
    expect(x.code, x.stderr.toString()).toBe(0);
    expect(readdirSync(dir)).toContain('database.dump');
  });

  it('retention over 100 archives: exactly the expired ones of this prefix are deleted; foreign objects, deeper keys and other prefixes are untouched', async () => {
    const now = Date.now();
    const src = mkdtempSync(join(tmpdir(), 'bk-s3-ret-'));
    mkdirSync(join(src, 'sub'));
    const ours: { name: string; days: number }[] = [];
    for (let i = 0; i < 100; i++) {
      // 0.5 to 99.5 days old, every kind of name.
      const days = i + 0.5;
      const name = archiveName(
        'pqc-audit-backup',
        new Date(now - days * 86_400_000),
        i % 2 === 0,
        i % 3 === 0 ? 'zstd' : 'pg',
      );
      ours.push({ name, days });
      writeFileSync(join(src, name), `archive ${i}`);
    }
    const old = archiveName(
      'pqc-audit-backup',
      new Date(now - 400 * 86_400_000),
      false,
    );
    const foreign = [
      'notes.txt',
      old.replace('.tar', '.tar.gz'),
      `${old}.tmp-abcdef`,
      old.replace('pqc-audit-backup', 'pqc-audit-emergency'),
      old.replace('pqc-audit-backup', 'pqc-audit-backup-x'),
      `sub/${old}`,
    ];
    for (const f of foreign) writeFileSync(join(src, f), 'not ours');
    const cp = await s3.aws([
      's3',
      'cp',
      '--recursive',
      '--quiet',
      src,
      's3://backups/ret/',
    ]);
    expect(cp.code, cp.stderr).toBe(0);
    const elsewhere = await s3.aws([
      's3',
      'cp',
      '--quiet',
      join(src, old.replace('pqc-audit-backup', 'pqc-audit-emergency')),
      `s3://backups/other/${old}`,
    ]);
    expect(elsewhere.code).toBe(0);
    const inOther = await s3.aws([
      's3',
      'cp',
      '--quiet',
      join(src, 'notes.txt'),
      `s3://other/ret/${old}`,
    ]);
    expect(inOther.code).toBe(0);

    // The listing pages through (7 keys a page) and finds every archive.
    const bucket = await archiveBucket(
      { bucket: 'backups', keyPrefix: 'ret/' },
      {
        forcePathStyle: true,
        checksum: 'when-required',
        partSize: 5 * 1024 * 1024,
        endpoint: s3.endpoint,
      },
      undefined,
      7,
    );
    expect((await bucket.list('pqc-audit-backup')).map((a) => a.name)).toEqual(
      ours.map((o) => o.name),
    );
    expect(
      (await s3.log()).filter((r) => r.op === 'ListObjects').length,
    ).toBeGreaterThan(14);

    const ex = await runProcedure(
      backup,
      inputs({
        destination: 's3://backups/ret/',
        'retention-days': '30',
        'keep-last': '3',
      }),
    );
    expect(ex.failure).toBeUndefined();
    const listed = async (url: string) =>
      (await s3.aws(['s3', 'ls', '--recursive', url])).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(3).join(' '))
        .sort();
    const kept = ours.filter((o) => o.days < 30).map((o) => `ret/${o.name}`);
    expect(await listed('s3://backups/ret/')).toEqual(
      [
        ex.outputs['archive'].replace('s3://backups/', ''),
        ...kept,
        ...foreign.map((f) => `ret/${f}`),
      ].sort(),
    );
    expect(await listed('s3://backups/other/')).toEqual([`other/${old}`]);
    expect(ex.result.changes).toHaveLength(70);
    const other = await s3.aws(['s3', 'ls', '--recursive', 's3://other/']);
    expect(other.stdout).toContain(`ret/${old}`);
    expect(ex.result.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'retention',
          status: 'ok',
          observed: expect.stringContaining(
            '70 expired archive(s) deleted, 31 kept',
          ),
        }),
      ]),
    );
  }, 120_000);
});
