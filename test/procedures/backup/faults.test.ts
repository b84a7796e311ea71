import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  rmdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import { runProcedure, seedDatabase } from '../../helpers/procedure.js';

let pg: PgServer;
let gw: Pushgateway;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit', 2000);
  await pg.psql(
    'CREATE TABLE public.big AS SELECT i, md5(i::text) || repeat(md5((i * 7)::text), 8) AS pad FROM generate_series(1, 400000) i',
    'pqc_audit',
  );
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop()]);
});

/** A destination holding one expired archive that retention would delete on success. */
function destWithOldArchive(dir = mkdtempSync(join(tmpdir(), 'bk-fault-'))): {
  dir: string;
  old: string;
} {
  const old = join(dir, 'pqc-audit-backup_20000101_000000.tar');
  writeFileSync(old, 'an old archive');
  utimesSync(old, new Date('2000-01-01'), new Date('2000-01-01'));
  return { dir, old };
}

async function firstSuccess(): Promise<number> {
  const ok = await runProcedure(
    backup,
    {
      'database-url': pg.url('pqc_audit'),
      destination: mkdtempSync(join(tmpdir(), 'bk-ok-')),
      include: 'database',
      'pushgateway-url': gw.url,
    },
    {},
  );
  expect(ok.failure).toBeUndefined();
  return (await gw.sample('pqc_backup_last_success_timestamp_seconds'))!;
}

describe('backup faults', () => {
  it('PostgreSQL stopped in the middle of the dump: clear failure, nothing left, nothing deleted, success 0', async () => {
    const lastOk = await firstSuccess();
    const { dir, old } = destWithOldArchive();
    const running = runProcedure(
      backup,
      {
        'database-url': pg.url('pqc_audit'),
        destination: dir,
        include: 'database',
        'keep-last': '0',
        'retention-days': '1',
        'pushgateway-url': gw.url,
      },
      {},
    );
    for (let i = 0; i < 400; i++) {
      const spool = readdirSync(dir).find((n) =>
        n.startsWith('.pqc-ops-spool-'),
      );
      const dump =
        spool && readdirSync(join(dir, spool)).includes('database.dump')
          ? statSync(join(dir, spool, 'database.dump')).size
          : 0;
      if (dump > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await pg.stop('immediate');
    const ex = await running;
    await pg.start();
    expect(ex.failure).toMatch(/^backup: (pg_dump|psql) on .* failed/);
    expect(readdirSync(dir)).toEqual([old.split('/').pop()]);
    expect(await gw.sample('pqc_backup_success')).toBe(0);
    expect(await gw.sample('pqc_backup_last_success_timestamp_seconds')).toBe(
      lastOk,
    );
  });

  it('a full destination: clear failure, nothing left, nothing deleted, success 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bk-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    try {
      const { old } = destWithOldArchive(dir);
      const ex = await runProcedure(
        backup,
        {
          'database-url': pg.url('pqc_audit'),
          destination: dir,
          include: 'database',
          'keep-last': '0',
          'retention-days': '1',
          'pushgateway-url': gw.url,
        },
        {},
      );
      expect(ex.failure).toMatch(
        /destination is full \(no space left on device\)/,
      );
      expect(readdirSync(dir)).toEqual([old.split('/').pop()]);
      expect(await gw.sample('pqc_backup_success')).toBe(0);
    } finally {
      execFileSync('umount', [dir]);
      rmdirSync(dir);
    }
  });
});
