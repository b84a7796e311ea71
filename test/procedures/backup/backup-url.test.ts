import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as age from 'age-encryption';
import { backup } from '../../../src/procedures/backup/procedure.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import {
  fingerprint,
  run,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';

let pg: PgServer;
let gw: Pushgateway;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit');
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop()]);
});

describe('backup by database-url', () => {
  it('writes a plain archive that GNU tar lists and pg_restore restores', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-dest-'));
    const ex = await runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: dest,
        include: 'database',
        'pushgateway-url': gw.url,
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    expect(ex.result.status).toBe('ok');
    const name = readdirSync(dest);
    expect(name).toHaveLength(1);
    expect(name[0]).toMatch(/^pqc-audit-backup_\d{8}_\d{6}\.tar$/);
    expect(ex.outputs['archive']).toBe(join(dest, name[0]));
    expect(ex.logs.join('\n')).toContain('without the Lease');
    const list = await run('tar', ['-tvf', ex.outputs['archive']]);
    expect(list.code).toBe(0);
    expect(list.stdout.toString()).toMatch(
      /manifest\.json[\s\S]*database\.dump/,
    );
    const x = mkdtempSync(join(tmpdir(), 'bk-x-'));
    expect(
      (await run('tar', ['-xf', ex.outputs['archive'], '-C', x])).code,
    ).toBe(0);
    const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
    expect(
      manifest.database.tables.find(
        (t: { table: string }) => t.table === 'findings',
      ).rows,
    ).toBe(500);
    expect(manifest.source.database.name).toBe('pqc_audit');
    await pg.createDatabase('plain_restore');
    const r = await run(
      'pg_restore',
      ['-d', 'plain_restore', join(x, 'database.dump')],
      { env: { ...process.env, ...pg.env() } },
    );
    expect(r.stderr).toBe('');
    expect(await fingerprint(pg, 'plain_restore')).toEqual(
      await fingerprint(pg, 'pqc_audit'),
    );
    expect(
      await gw.sample('pqc_backup_success', { job: 'pqc-ops-backup' }),
    ).toBe(1);
    expect(await gw.sample('pqc_backup_size_bytes')).toBe(
      Number(ex.outputs['size']),
    );
    expect(ex.masked).toContain(pg.password);
  });

  it('encrypts to a classic recipient that the age CLI decrypts', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-dest-'));
    const keyFile = join(dest, '..', `key-${Date.now()}.txt`);
    expect((await run('age-keygen', ['-o', keyFile])).code).toBe(0);
    const recipient =
      /public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))?.[1] ?? '';
    const ex = await runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: dest,
        include: 'database',
        'age-recipients': recipient,
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    expect(ex.outputs['archive']).toMatch(/\.tar\.age$/);
    const dec = await run('age', ['-d', '-i', keyFile, ex.outputs['archive']]);
    expect(dec.stderr).toBe('');
    const list = await run('tar', ['-t'], { input: dec.stdout });
    expect(list.stdout.toString().split('\n').filter(Boolean)).toEqual([
      'manifest.json',
      'database.dump',
      'manifest.sha256',
    ]);
  });

  it('encrypts to a post-quantum hybrid recipient that typage decrypts', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-dest-'));
    const id = await age.generateHybridIdentity();
    const ex = await runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: dest,
        include: 'database',
        'age-recipients': await age.identityToRecipient(id),
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    const d = new age.Decrypter();
    d.addIdentity(id);
    const plain = await d.decrypt(readFileSync(ex.outputs['archive']));
    const list = await run('tar', ['-t'], { input: Buffer.from(plain) });
    expect(list.code).toBe(0);
    expect(list.stdout.toString()).toContain('database.dump');
  });

  it('refuses mixed classic and post-quantum recipients', async () => {
    const pq = await age.identityToRecipient(
      await age.generateHybridIdentity(),
    );
    const x = await age.identityToRecipient(await age.generateX25519Identity());
    const dest = mkdtempSync(join(tmpdir(), 'bk-mixed-'));
    const ex = await runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: dest,
        include: 'database',
        'age-recipients': `${pq}\n${x}`,
      },
      {},
    );
    expect(ex.failureKind).toBe('configuration');
    expect(ex.failure).toMatch(/mixes classic .* and post-quantum/);
    expect(ex.result.status).toBe('failed');
    expect(readdirSync(dest)).toEqual([]);
  });
});
