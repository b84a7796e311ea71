// A cancelled workflow signals the action's node process (SIGTERM, or SIGINT
// first): the run must kill pg_dump, release the Lease, remove its spool,
// push success 0 and record the failure, then exit non-zero, all in seconds.
// And what a SIGKILLed run leaves (its spool) is removed by the next run.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../../kube-sim/index.js';
import { backup as bk } from '../../../src/procedures/backup/procedure.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import { startBundle } from '../../helpers/bundle.js';
import {
  alive,
  descendants,
  processesMentioning,
  type Proc,
} from '../../helpers/processes.js';
import { runProcedure, seedDatabase } from '../../helpers/procedure.js';
import { startBackupSim } from '../../helpers/sim-fixtures.js';

let pg: PgServer;
let gw: Pushgateway;
let sim: KubeSim;
/** How long a whole pg_dump -Fc of the test database takes, measured. */
let fullDumpMs = 0;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit', 2000);
  await seedDatabase(pg, 'pqc_small');
  // About 400 MB of barely compressible rows: pg_dump -Fc needs seconds even on an idle machine.
  await pg.psql(
    'CREATE TABLE public.big AS SELECT i, md5(i::text) || repeat(md5((i * 7)::text), 12) AS pad FROM generate_series(1, 1000000) i',
    'pqc_audit',
  );
  sim = await startBackupSim(pg);
  const probe = mkdtempSync(join(tmpdir(), 'bk-cancel-probe-'));
  const t0 = Date.now();
  execFileSync('pg_dump', ['-Fc', '-f', join(probe, 'db.dump'), 'pqc_audit'], {
    env: { ...process.env, ...pg.env() },
  });
  fullDumpMs = Date.now() - t0;
  rmSync(probe, { recursive: true, force: true });
  console.log(`a full pg_dump -Fc of pqc_audit takes ${fullDumpMs} ms`);
}, 300_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop(), sim?.close()]);
});

/** Sessions other than this query's on the server, after a short grace. */
async function serverSessions(): Promise<string> {
  const sql =
    "SELECT string_agg(application_name || ':' || coalesce(datname, ''), ',') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()";
  let left = '';
  for (let i = 0; i < 50; i++) {
    left = await pg.psql(sql);
    if (left === '') break;
    await sleep(40);
  }
  return left;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const leaseOf = () =>
  sim.get('coordination.k8s.io/v1', 'Lease', 'pqc-audit', 'pqc-ops-backup');

describe('a cancelled backup (the bundle, signalled while pg_dump runs)', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig}: exits 1 within seconds; no pg_dump, spool, archive or Lease left; success 0 pushed; everything recorded`, async () => {
      expect(fullDumpMs).toBeGreaterThan(3000);
      const prefix = `cancel-${sig.toLowerCase()}`;
      const dest = mkdtempSync(join(tmpdir(), 'bk-cancel-'));
      const run = startBundle('backup', {
        'database-url': pg.url('pqc_audit'),
        kubeconfig: sim.kubeconfigPath,
        include: 'database',
        destination: dest,
        prefix,
        'pushgateway-url': gw.url,
      });
      // Every descendant ever seen, to prove afterwards that none survived.
      const seen = new Map<string, Proc>();
      let dumpSince: number | undefined;
      let spool: string | undefined;
      let leaseHeld = false;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        for (const p of descendants(run.pid))
          seen.set(`${p.pid}/${p.start}`, p);
        const dumping = [...seen.values()].some(
          (p) => p.comm === 'pg_dump' && alive(p),
        );
        if (dumping) dumpSince ??= Date.now();
        spool ??= readdirSync(dest).find((n) =>
          n.startsWith(`.pqc-ops-spool-${prefix}-`),
        );
        leaseHeld ||= leaseOf() !== undefined;
        // Signal once pg_dump has been writing its file for a second.
        if (dumping && dumpSince !== undefined && Date.now() - dumpSince > 1000)
          break;
        await sleep(20);
      }
      expect(dumpSince, run.stdout()).toBeDefined();
      expect(spool).toBeDefined();
      const dumpFile = join(dest, spool!, 'database.dump');
      const dumped = statSync(dumpFile).size;
      expect(dumped).toBeGreaterThan(0);
      expect(leaseHeld).toBe(true);
      const dumpPid = [...seen.values()].find(
        (p) => p.comm === 'pg_dump' && alive(p),
      );
      expect(dumpPid).toBeDefined();
      const signalledAt = Date.now();
      console.log(
        `${sig}: pg_dump ran ${signalledAt - dumpSince!} ms (${dumped} bytes written) before the signal; a full dump takes ${fullDumpMs} ms`,
      );
      process.kill(run.pid, sig);
      const done = await run.finished;
      const { code, endedAt: at } = done;
      const tookMs = at - signalledAt;
      console.log(`${sig}: the action exited ${code} after ${tookMs} ms`);

      expect(code).toBe(1);
      // Cleaned up on its own, well before the 8 s hard exit.
      expect(tookMs).toBeLessThan(5000);
      expect([...seen.values()].filter(alive)).toEqual([]);
      expect(processesMentioning(dest)).toEqual([]);
      // Nor their sessions on the server (pg_dump's, the snapshot's).
      expect(await serverSessions()).toEqual('');
      // No spool, no temporary and no partial archive.
      expect(readdirSync(dest)).toEqual([]);
      expect(leaseOf()).toBeUndefined();
      expect(
        await gw.sample('pqc_backup_success', {
          job: 'pqc-ops-backup',
          instance: prefix,
        }),
      ).toBe(0);
      expect(
        await gw.sample('pqc_backup_last_success_timestamp_seconds', {
          job: 'pqc-ops-backup',
          instance: prefix,
        }),
      ).toBeUndefined();

      const log = done.stdout + done.stderr;
      expect(log).toContain(`::warning::backup: ${sig} received`);
      expect(log).toMatch(/::error::backup: cancelled/);
      const outputs = done.outputs;
      expect(outputs['status']).toBe('failed');
      expect(outputs['archive']).toBe('');
      const result = JSON.parse(outputs['result'] ?? '{}') as {
        status: string;
        summary: string;
        metrics: Record<string, number>;
        checks: { name: string; status: string; observed: string }[];
      };
      expect(result.status).toBe('failed');
      expect(result.summary).toMatch(/cancelled/);
      expect(result.metrics['pqc_backup_success']).toBe(0);
      expect(result.checks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'lock', status: 'ok' }),
          expect.objectContaining({ name: 'backup', status: 'failed' }),
          expect.objectContaining({ name: 'metrics', status: 'ok' }),
        ]),
      );
      const summary = done.summary;
      expect(summary).toContain('### backup: ');
      expect(summary).toMatch(/cancelled/);
      const results = join(run.runnerTemp, 'pqc-ops', 'results');
      const files = readdirSync(results);
      expect(files).toHaveLength(1);
      expect(
        (
          JSON.parse(readFileSync(join(results, files[0]), 'utf8')) as {
            status: string;
          }
        ).status,
      ).toBe('failed');
      expect(existsReport(outputs['report'])).toBe(true);
    }, 120_000);
  }
});

function existsReport(path: string | undefined): boolean {
  try {
    return path !== undefined && statSync(path).isFile();
  } catch {
    return false;
  }
}

describe('spools left by a killed run', () => {
  it('the next backup of that prefix removes its stale spools and keeps fresh ones and those of other prefixes', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-stale-spool-'));
    const old = new Date(Date.now() - 3 * 3_600_000);
    const spoolWith = (name: string, fileAt: Date, dirAt = fileAt) => {
      const dir = join(dest, name);
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(dir, 'database.dump'), 'a partial dump');
      utimesSync(join(dir, 'database.dump'), fileAt, fileAt);
      utimesSync(dir, dirAt, dirAt);
      return name;
    };
    // Killed 3 h ago: stale for a 2 h lock-duration.
    const stale = spoolWith('.pqc-ops-spool-pqc-audit-backup-Ab12Cd', old);
    // An old directory whose dump is still being written: a live run.
    const live = spoolWith(
      '.pqc-ops-spool-pqc-audit-backup-Ef34Gh',
      new Date(),
      old,
    );
    // Another prefix's (pqc-audit-backup-x), and an unrelated directory.
    const other = spoolWith('.pqc-ops-spool-pqc-audit-backup-x-Ij56Kl', old);
    const unrelated = spoolWith('not-a-spool', old);
    const ex = await runProcedure(
      bk,
      {
        'database-url': pg.url('pqc_small'),
        destination: dest,
        include: 'database',
        'lock-duration': '2h',
        'pushgateway-url': gw.url,
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    const left = readdirSync(dest);
    expect(left).not.toContain(stale);
    expect(left).toEqual(
      expect.arrayContaining([
        live,
        other,
        unrelated,
        ex.outputs['archive'].split('/').pop(),
      ]),
    );
    expect(left).toHaveLength(4);
    // Removed before the dump, so a dead run's spool cannot fill the disk.
    expect(
      ex.result.checks.find((c) => c.name === 'leftovers')?.observed,
    ).toMatch(/1 stale spool directory\(ies\) removed/);
  }, 120_000);

  it('names its spool after the prefix while it runs', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-spool-name-'));
    const running = runProcedure(
      bk,
      {
        'database-url': pg.url('pqc_small'),
        destination: dest,
        include: 'database',
        prefix: 'named.prefix_1',
      },
      {},
    );
    let seen: string | undefined;
    for (let i = 0; i < 1000 && !seen; i++) {
      seen = readdirSync(dest).find((n) => n.startsWith('.pqc-ops-spool-'));
      await sleep(10);
    }
    const ex = await running;
    expect(ex.failure).toBeUndefined();
    expect(seen).toMatch(/^\.pqc-ops-spool-named\.prefix_1-[A-Za-z0-9]{6}$/);
    expect(readdirSync(dest).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 120_000);
});
