// compression: zstd. The archive streams from pg_dump -Z0 (and the app data's
// tar) through zstd into <prefix>_<ts>.tar.zst[.age], nothing spooled; the
// command-line tools read it (zstd -d | tar -x, then pg_restore), and every
// reader of ours takes it: backup-verify, restore, health, retention.
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArchives } from '../../../src/archive/retention.js';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { backupVerify } from '../../../src/procedures/backup-verify/procedure.js';
import { backupCheck } from '../../../src/health/backup-age.js';
import { restore } from '../../../src/procedures/restore/procedure.js';
import type { KubeSim } from '../../kube-sim/index.js';
import { startPostgres, type PgServer } from '../../services/index.js';
import {
  fingerprint,
  run,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import { startBackupSim, writeAppData } from '../../helpers/sim-fixtures.js';

let pg: PgServer;
let sim: KubeSim;
let before: Record<string, string>;

beforeAll(async () => {
  pg = await startPostgres();
  await seedDatabase(pg, 'pqc_audit', 20_000);
  sim = await startBackupSim(pg);
  writeAppData(sim, {
    'state.json': '{"v":1}',
    'scans/a.txt': 'x'.repeat(5000),
  });
  before = await fingerprint(pg, 'pqc_audit');
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), sim?.close()]);
});

const everything = () => ({
  kubeconfig: sim.kubeconfigPath,
  'postgres-pod': 'postgres-0',
  'config-selector': 'app=pqc-audit',
  'appdata-pod': 'pqc-audit-0',
  compression: 'zstd',
});

describe('compression: zstd', () => {
  it('writes <prefix>_<ts>.tar.zst that zstd -d | tar -x and pg_restore read, smaller than the pg archive', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-zstd-'));
    const ex = await runProcedure(backup, {
      'database-url': pg.url('pqc_audit'),
      destination: dest,
      include: 'database',
      compression: 'zstd',
    });
    expect(ex.failure).toBeUndefined();
    expect(readdirSync(dest)).toEqual([
      expect.stringMatching(/^pqc-audit-backup_\d{8}_\d{6}\.tar\.zst$/),
    ]);
    const file = ex.outputs['archive'];
    const x = mkdtempSync(join(tmpdir(), 'bk-zstd-x-'));
    const un = await run('sh', [
      '-c',
      `zstd -dc "$0" | tar -xf - -C "$1"`,
      file,
      x,
    ]);
    expect(un.stderr.toString()).toBe('');
    expect(readdirSync(x).sort()).toEqual([
      'database.dump',
      'manifest.json',
      'manifest.sha256',
    ]);
    // manifest.sha256 checks with sha256sum, padding and all.
    const sum = await run('sha256sum', ['-c', 'manifest.sha256'], { cwd: x });
    expect(sum.stdout.toString()).toContain('manifest.json: OK');
    const m = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
    expect(m.members.map((y: { name: string }) => y.name)).toEqual([
      'database.dump',
    ]);
    await pg.createDatabase('zstd_restore');
    const r = await run(
      'pg_restore',
      ['-d', 'zstd_restore', join(x, 'database.dump')],
      { env: { ...process.env, ...pg.env() } },
    );
    expect(r.stderr).toBe('');
    expect(await fingerprint(pg, 'zstd_restore')).toEqual(before);

    const plain = await runProcedure(backup, {
      'database-url': pg.url('pqc_audit'),
      destination: mkdtempSync(join(tmpdir(), 'bk-pg-')),
      include: 'database',
    });
    expect(Number(ex.outputs['size'])).toBeLessThan(
      Number(plain.outputs['size']),
    );
  });

  it('encrypted (.tar.zst.age): the age CLI, zstd and tar read it; backup-verify and health accept it; restore applies it', async () => {
    const identity = await age.generateX25519Identity();
    const dest = mkdtempSync(join(tmpdir(), 'bk-zstd-age-'));
    const ex = await runProcedure(backup, {
      ...everything(),
      destination: dest,
      'age-recipients': await age.identityToRecipient(identity),
    });
    expect(ex.failure).toBeUndefined();
    const file = ex.outputs['archive'];
    expect(file).toMatch(/\.tar\.zst\.age$/);
    const key = join(dest, 'key.txt');
    writeFileSync(key, identity + '\n', { mode: 0o600 });
    const list = await run('sh', [
      '-c',
      `age -d -i "$1" "$0" | zstd -dc | tar -tf -`,
      file,
      key,
    ]);
    expect(list.stdout.toString().split('\n').filter(Boolean)).toEqual([
      'manifest.json',
      'database.dump',
      'config.yaml',
      'appdata.tar',
      'manifest.sha256',
    ]);

    const v = await runProcedure(backupVerify, {
      destination: dest,
      'age-identity': identity,
      'scratch-database-url': pg.url('verify_zstd'),
    });
    expect(v.failure).toBeUndefined();
    expect(v.result.status).toBe('ok');
    expect(v.outputs['archive']).toBe(file);

    const h = await backupCheck(dest, 3_600_000, new Date());
    expect(h.status).toBe('ok');
    expect(h.observed).toContain('.tar.zst.age');

    await pg.psql('DELETE FROM app.findings WHERE id % 3 = 0', 'pqc_audit');
    const applied = await runProcedure(restore, {
      kubeconfig: sim.kubeconfigPath,
      'postgres-pod': 'postgres-0',
      'appdata-pod': 'pqc-audit-0',
      'age-identity': identity,
      archive: file,
      components: 'database',
      mode: 'auto',
    });
    expect(applied.failure).toBeUndefined();
    expect(applied.outputs['applied']).toBe('true');
    expect(await fingerprint(pg, 'pqc_audit')).toEqual(before);
  });

  it('a damaged .tar.zst fails backup-verify with one line and health reports it unreadable', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-zstd-bad-'));
    const ex = await runProcedure(backup, {
      'database-url': pg.url('pqc_audit'),
      destination: dest,
      include: 'database',
      compression: 'zstd',
    });
    const file = ex.outputs['archive'];
    const b = readFileSync(file);
    b[Math.floor(b.length / 2)] ^= 0x55;
    writeFileSync(file, b);
    const v = await runProcedure(backupVerify, {
      destination: dest,
      'scratch-database-url': pg.url('verify_bad'),
    });
    expect(v.result.status).toBe('failed');
    expect(v.failure).toMatch(/^[^\n]+$/);
    const h = await backupCheck(dest, 3_600_000, new Date());
    expect(h.status).toBe('warning');
    expect(h.observed).toContain('unreadable');
  });

  it('retention and locate count .tar and .tar.zst archives of the prefix alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bk-mixed-'));
    const names = [
      'pqc-audit-backup_20240101_000000.tar',
      'pqc-audit-backup_20240102_000000.tar.zst',
      'pqc-audit-backup_20240103_000000.tar.age',
      'pqc-audit-backup_20240104_000000.tar.zst.age',
      'pqc-audit-backup_20240105_000000.zst',
      'pqc-audit-backup_20240106_000000.tar.age.zst',
    ];
    for (const n of names) {
      writeFileSync(join(dir, n), 'x');
      utimesSync(join(dir, n), new Date(), new Date());
    }
    const found = await listArchives(dir, 'pqc-audit-backup');
    expect(found.map((f) => [f.name, f.compression, f.encrypted])).toEqual([
      ['pqc-audit-backup_20240104_000000.tar.zst.age', 'zstd', true],
      ['pqc-audit-backup_20240103_000000.tar.age', 'pg', true],
      ['pqc-audit-backup_20240102_000000.tar.zst', 'zstd', false],
      ['pqc-audit-backup_20240101_000000.tar', 'pg', false],
    ]);
  });
});
