// Reading archives from a bucket: backup-verify and restore stream the newest
// archive (or `archive`) from s3rver, nothing downloaded first; health judges
// freshness from a listing.
import * as age from 'age-encryption';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { backupVerify } from '../../../src/procedures/backup-verify/procedure.js';
import { bucketBackupCheck } from '../../../src/health/bucket-age.js';
import { restore } from '../../../src/procedures/restore/procedure.js';
import {
  startPostgres,
  startS3,
  type PgServer,
  type S3Server,
} from '../../services/index.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';

let pg: PgServer;
let s3: S3Server;
let identity: string;
let before: Record<string, string>;
let archive: string;

const s3Inputs = () => ({
  's3-endpoint': s3.endpoint,
  's3-force-path-style': 'true',
});

beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), startS3(['vault'])]);
  await seedDatabase(pg, 'pqc_audit', 5000);
  before = await fingerprint(pg, 'pqc_audit');
  identity = await age.generateHybridIdentity();
  Object.assign(process.env, s3.env());
  const ex = await runProcedure(backup, {
    'database-url': pg.url('pqc_audit'),
    include: 'database',
    destination: 's3://vault/pqc/',
    compression: 'zstd',
    'age-recipients': await age.identityToRecipient(identity),
    ...s3Inputs(),
  });
  expect(ex.failure).toBeUndefined();
  archive = ex.outputs['archive']!;
}, 120_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), s3?.stop()]);
});
beforeEach(async () => {
  await s3.reset();
  Object.assign(process.env, s3.env());
});

describe('archives in a bucket', () => {
  it('backup-verify streams the newest archive of the prefix from the bucket and restores it into a scratch database', async () => {
    const v = await runProcedure(backupVerify, {
      destination: 's3://vault/pqc/',
      'age-identity': identity,
      'scratch-database-url': pg.url('verify_from_bucket'),
      ...s3Inputs(),
    });
    expect(v.failure).toBeUndefined();
    expect(v.result.status).toBe('ok');
    expect(v.outputs['archive']).toBe(archive);
    expect(v.outputs['verified']).toBe('true');
    // One listing, one streamed read: no download first.
    const ops = (await s3.log()).map((r) => r.op);
    expect(ops.filter((o) => o === 'GetObject')).toHaveLength(1);
  });

  it('an archive URL with no object behind it fails backup-verify in one line', async () => {
    const v = await runProcedure(backupVerify, {
      archive: archive.replace('.tar.zst.age', '.tar.age'),
      'age-identity': identity,
      ...s3Inputs(),
    });
    expect(v.result.status).toBe('failed');
    expect(v.failure).toMatch(/NoSuchKey/);
    expect(v.failure).not.toContain('\n');
  });

  it('restore (auto) streams the archive from the bucket; the safety backup goes to the same folder', async () => {
    await pg.psql('DELETE FROM app.findings WHERE id % 2 = 0', 'pqc_audit');
    const r = await runProcedure(restore, {
      'database-url': pg.url('pqc_audit'),
      archive,
      'age-identity': identity,
      components: 'database',
      mode: 'auto',
      ...s3Inputs(),
    });
    expect(r.failure).toBeUndefined();
    expect(r.outputs['applied']).toBe('true');
    expect(await fingerprint(pg, 'pqc_audit')).toEqual(before);
    expect(r.outputs['safety-backup']).toMatch(
      /^s3:\/\/vault\/pqc\/pqc-audit-emergency_\d{8}_\d{6}\.tar\.age$/,
    );
    const ls = await s3.aws(['s3', 'ls', 's3://vault/pqc/']);
    expect(ls.stdout).toContain('pqc-audit-emergency_');
    expect(await s3.uploads()).toEqual([]);
  });

  it('health: freshness of the newest archive from a listing (time and size), stale when older than backup-max-age', async () => {
    const s = {
      endpoint: s3.endpoint,
      forcePathStyle: true,
      checksum: 'when-required' as const,
      partSize: 16 * 1024 * 1024,
    };
    const ok = await bucketBackupCheck(
      's3://vault/pqc/',
      s,
      3_600_000,
      new Date(),
      'pqc-audit-backup',
    );
    expect(ok.status).toBe('ok');
    expect(ok.observed).toMatch(
      /^pqc-audit-backup_\d{8}_\d{6}\.tar\.zst\.age: 0\.\d h old, \d+ bytes/,
    );
    const stale = await bucketBackupCheck(
      's3://vault/pqc/',
      s,
      3_600_000,
      new Date(Date.now() + 5 * 3_600_000),
      'pqc-audit-backup',
    );
    expect(stale.status).toBe('warning');
    expect(stale.detail).toContain('older than 1 h');
    const none = await bucketBackupCheck(
      's3://vault/elsewhere/',
      s,
      3_600_000,
      new Date(),
      'pqc-audit-backup',
    );
    expect(none.status).toBe('warning');
    expect(none.observed).toMatch(/^no archive named/);
    expect((await s3.log()).map((r) => r.op)).not.toContain('GetObject');
  });
});
