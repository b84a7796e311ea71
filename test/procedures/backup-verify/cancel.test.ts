// A cancelled backup-verify (SIGTERM to the action's node process while
// pg_restore fills the scratch database) must still drop the scratch
// database: one left behind makes every later verification refuse to run.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup as bk } from '../../../src/procedures/backup/procedure.js';
import { backupVerify as verify } from '../../../src/procedures/backup-verify/procedure.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import { startBundle } from '../../helpers/bundle.js';
import { alive, descendants, type Proc } from '../../helpers/processes.js';
import { runProcedure, seedDatabase } from '../../helpers/procedure.js';

const PREFIX = 'verify-cancel';
const SCRATCH = 'verify_cancel_scratch';
let pg: PgServer;
let gw: Pushgateway;
let dest: string;
let archive: string;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit', 2000);
  // About 200 MB of rows: restoring them takes seconds.
  await pg.psql(
    'CREATE TABLE public.big AS SELECT i, md5(i::text) || repeat(md5((i * 7)::text), 12) AS pad FROM generate_series(1, 500000) i',
    'pqc_audit',
  );
  dest = mkdtempSync(join(tmpdir(), 'verify-cancel-'));
  const ex = await runProcedure(
    bk,
    {
      'database-url': pg.url('pqc_audit'),
      destination: dest,
      include: 'database',
      prefix: PREFIX,
    },
    {},
  );
  expect(ex.failure).toBeUndefined();
  archive = ex.outputs['archive']!;
}, 300_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const scratchExists = async () =>
  (await pg.psql(
    `SELECT count(*) FROM pg_database WHERE datname = '${SCRATCH}'`,
  )) === '1';

/** Rows COPY has put into the scratch database so far (PostgreSQL 14+). */
const rowsCopied = async () =>
  Number(
    (await pg.psql(
      `SELECT coalesce(sum(tuples_processed), 0) FROM pg_stat_progress_copy WHERE datname = '${SCRATCH}'`,
    )) || '0',
  );

describe('a cancelled backup-verify (the bundle, SIGTERM during the restore)', () => {
  it('drops the scratch database, leaves no pg_restore, records the failure and pushes verify success 0', async () => {
    const run = startBundle('backup-verify', {
      destination: dest,
      prefix: PREFIX,
      'scratch-database-url': pg.url(SCRATCH),
      'pushgateway-url': gw.url,
    });
    const child = run.child;

    const seen = new Map<string, Proc>();
    let restoreSince: number | undefined;
    let copied = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      for (const p of descendants(child.pid!))
        seen.set(`${p.pid}/${p.start}`, p);
      const restoring = [...seen.values()].some(
        (p) => p.comm === 'pg_restore' && alive(p),
      );
      if (restoring) restoreSince ??= Date.now();
      // Signal once pg_restore has been copying rows for a second.
      if (restoring && Date.now() - restoreSince! > 1000) {
        copied = await rowsCopied();
        if (copied > 0) break;
      }
      await sleep(20);
    }
    expect(restoreSince, run.stdout()).toBeDefined();
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(500000);
    expect(await scratchExists()).toBe(true);
    const signalledAt = Date.now();
    console.log(
      `pg_restore ran ${signalledAt - restoreSince!} ms (${copied} rows copied of 500000 in big) before SIGTERM`,
    );
    child.kill('SIGTERM');
    const done = await run.finished;
    const { code, endedAt: at } = done;
    const log = done.stdout + done.stderr;
    console.log(`backup-verify exited ${code} after ${at - signalledAt} ms`);

    expect(code).toBe(1);
    expect(at - signalledAt).toBeLessThan(5000);
    expect([...seen.values()].filter(alive)).toEqual([]);
    expect(await scratchExists()).toBe(false);
    expect(
      await pg.psql(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${SCRATCH}'`,
      ),
    ).toBe('0');
    expect(
      await gw.sample('pqc_backup_verify_success', {
        job: 'pqc-ops-backup-verify',
        instance: PREFIX,
      }),
    ).toBe(0);
    expect(log).toContain('::warning::backup-verify: SIGTERM received');
    const outputs = done.outputs;
    expect(outputs['status']).toBe('failed');
    expect(outputs['verified']).toBe('false');
    expect(outputs['archive']).toBe(archive);
    const result = JSON.parse(outputs['result'] ?? '{}') as {
      status: string;
      checks: { name: string; status: string; observed: string }[];
    };
    expect(result.status).toBe('failed');
    // The drop succeeded: no cleanup warning.
    expect(result.checks.map((c) => c.name)).not.toContain('scratch cleanup');
    expect(done.summary).toContain('### backup-verify: ');
    const results = join(run.runnerTemp, 'pqc-ops', 'results');
    expect(readdirSync(results)).toHaveLength(1);
    expect(statSync(outputs['report']).isFile()).toBe(true);

    // And the next verification runs, as it could not before.
    const next = await runProcedure(
      verify,
      {
        destination: dest,
        prefix: PREFIX,
        'scratch-database-url': pg.url(SCRATCH),
        'pushgateway-url': gw.url,
      },
      {},
    );
    expect(next.failure).toBeUndefined();
    expect(next.outputs['verified']).toBe('true');
    expect(await scratchExists()).toBe(false);
  }, 180_000);
});
