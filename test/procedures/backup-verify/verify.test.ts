import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { backupVerify as verify } from '../../../src/procedures/backup-verify/procedure.js';
import { push } from '../../../src/prometheus/pushgateway.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import { runProcedure, seedDatabase } from '../../helpers/procedure.js';

let pg: PgServer;
let gw: Pushgateway;
let dest: string;
let identity: string;
let archive: string;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit');
  dest = mkdtempSync(join(tmpdir(), 'bk-verify-'));
  identity = await age.generateHybridIdentity();
  const ex = await runProcedure(
    backup,
    {
      'database-url': pg.url('pqc_audit'),
      destination: dest,
      include: 'database',
      'age-recipients': await age.identityToRecipient(identity),
    },
    {},
  );
  expect(ex.failure).toBeUndefined();
  archive = ex.outputs['archive']!;
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop()]);
});

describe('backup-verify', () => {
  it('restores the newest archive into a scratch database and matches every row count', async () => {
    const ex = await runProcedure(
      verify,
      {
        destination: dest,
        'age-identity': identity,
        'scratch-database-url': pg.url('verify_scratch'),
        'pushgateway-url': gw.url,
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    expect(ex.outputs).toMatchObject({ archive, verified: 'true' });
    const names = ex.result.checks.map((c) => `${c.name}:${c.status}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'manifest:ok',
        'member database.dump:ok',
        'restore test:ok',
        'row counts:ok',
        'required members:ok',
      ]),
    );
    expect(
      await pg.psql(
        "SELECT count(*) FROM pg_database WHERE datname = 'verify_scratch'",
      ),
    ).toBe('0');
    expect(await gw.sample('pqc_backup_verify_success')).toBe(1);
    expect(
      await gw.sample('pqc_backup_verify_archive_age_seconds'),
    ).toBeGreaterThanOrEqual(0);
    expect(ex.masked).toContain(identity);
  });

  it('fails on one changed byte, with a clear message', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'bk-tamper-'));
    const t = join(d2, archive.split('/').pop()!);
    copyFileSync(archive, t);
    const b = readFileSync(t);
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(t, b);
    const ex = await runProcedure(
      verify,
      {
        archive: t,
        'age-identity': identity,
        'scratch-database-url': pg.url('verify_scratch2'),
        'pushgateway-url': gw.url,
      },
      {},
    );
    expect(ex.outputs['verified']).toBe('false');
    expect(ex.failure).toMatch(
      /failed authentication .* modified or is damaged/,
    );
    expect(
      await pg.psql(
        "SELECT count(*) FROM pg_database WHERE datname = 'verify_scratch2'",
      ),
    ).toBe('0');
    expect(await gw.sample('pqc_backup_verify_success')).toBe(0);
    // An unusable newest backup is a backup failure: BackupFailure must fire.
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(0);
    expect(
      await gw.sample('pqc_backup_verify_last_success_timestamp_seconds'),
    ).toBeGreaterThan(0);
  });

  it('fails with a wrong identity, and the backup counts as failed', async () => {
    // Start from a good state so the 0 below is this run's doing.
    await push(
      new URL(gw.url),
      'POST',
      'pqc-ops-backup',
      { instance: 'pqc-audit-backup' },
      [{ name: 'pqc_backup_success', help: 'x', value: 1 }],
    );
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(1);
    const other = await age.generateHybridIdentity();
    const ex = await runProcedure(
      verify,
      { archive, 'age-identity': other, 'pushgateway-url': gw.url },
      {},
    );
    expect(ex.outputs['verified']).toBe('false');
    expect(ex.failure).toMatch(/wrong identity/);
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(0);
  });

  it('detects a changed byte in a plain archive', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'bk-plain-'));
    const ex0 = await runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: d2,
        include: 'database',
      },
      {},
    );
    const p = ex0.outputs['archive'];
    const b = readFileSync(p);
    b[b.length - 1030 - 700] ^= 0x20;
    writeFileSync(p, b);
    const ex = await runProcedure(verify, { archive: p }, {});
    expect(ex.outputs['verified']).toBe('false');
    expect(ex.failure).toMatch(/modified or is damaged|damaged/);
  });
});
