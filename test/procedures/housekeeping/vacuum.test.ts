// VACUUM (ANALYZE) against real PostgreSQL, by URL and by exec in the
// database pod: the dead tuples the test made drop, the report's numbers
// are what the test reads from pg_stat_user_tables, and no table is
// rewritten (VACUUM FULL would give it a new relfilenode).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/plan.js';
import { housekeeping } from '../../../src/procedures/housekeeping/procedure.js';
import type { KubeSim } from '../../kube-sim/index.js';
import { startBackupSim } from '../../helpers/sim-fixtures.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startPostgres, type PgServer } from '../../services/index.js';

const db = 'pqc_audit';
let pg: PgServer;
let sim: KubeSim;
let runnerTemp: string;

beforeAll(async () => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-hk-vacuum-'));
  pg = await startPostgres();
  await pg.createDatabase(db);
  await pg.psql(
    `CREATE TABLE public.scans (id int PRIMARY KEY, host text) WITH (autovacuum_enabled = false);
CREATE SCHEMA app;
CREATE TABLE app.findings (id int, note text) WITH (autovacuum_enabled = false);
CREATE TABLE public.quiet (x int) WITH (autovacuum_enabled = false);
INSERT INTO public.scans SELECT g, 'host-' || g FROM generate_series(1, 2000) g;
INSERT INTO app.findings SELECT g, 'n' FROM generate_series(1, 500) g;
INSERT INTO public.quiet VALUES (1);`,
    db,
  );
  sim = await startBackupSim(pg);
}, 60_000);
afterAll(async () => {
  await sim?.close();
  await pg?.destroy();
});

/** Makes dead tuples; psql exits, so its statistics are flushed. */
async function churn(): Promise<void> {
  await pg.psql(
    `UPDATE public.scans SET host = host || '!' WHERE id <= 1500;
UPDATE app.findings SET note = note || '!' WHERE id <= 300;`,
    db,
  );
}

async function deadTuples(): Promise<Record<string, number>> {
  const rows = await pg.psql(
    "SELECT schemaname || '.' || relname || '=' || n_dead_tup FROM pg_stat_user_tables ORDER BY 1",
    db,
  );
  return Object.fromEntries(
    rows.split('\n').map((l) => {
      const [k, v] = l.split('=');
      return [k ?? '', Number(v)];
    }),
  );
}

const relfilenodes = () =>
  pg.psql(
    "SELECT string_agg(relname || ':' || relfilenode, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('scans', 'findings', 'quiet')",
    db,
  );

describe('housekeeping VACUUM (ANALYZE) against real PostgreSQL', () => {
  it.each([
    ['by database-url', () => ({ 'database-url': pg.url(db) })],
    [
      'by exec in the database pod',
      () => ({ 'postgres-pod': 'postgres-0', 'database-user': pg.user }),
    ],
  ])(
    '%s: dead tuples drop, the report equals pg_stat_user_tables',
    async (_n, source) => {
      await churn();
      const before = await deadTuples();
      expect(before['public.scans']).toBeGreaterThanOrEqual(1500);
      expect(before['app.findings']).toBeGreaterThanOrEqual(300);
      const files = await relfilenodes();
      const inputs = { kubeconfig: sim.kubeconfigPath, ...source() };
      const env = { ...process.env, RUNNER_TEMP: runnerTemp };
      const plan = await runProcedure(housekeeping, inputs, env);
      expect(plan.failure, plan.logs.join('\n')).toBeUndefined();
      const doc = JSON.parse(plan.outputs['plan'] ?? '') as Plan;
      const v = doc.changes.find((c) => c.object === `database ${db}`);
      expect(v?.action).toBe('VACUUM (ANALYZE)');
      expect(v?.reason).toContain(
        `${Object.values(before).reduce((a, b) => a + b, 0)} dead tuple(s)`,
      );
      expect(await deadTuples()).toEqual(before);
      const r = await runProcedure(
        housekeeping,
        {
          ...inputs,
          mode: 'apply',
          plan: plan.outputs['plan-file'] ?? '',
          'plan-sha256': plan.outputs['plan-sha256'] ?? '',
        },
        env,
      );
      expect(r.failure, r.logs.join('\n')).toBeUndefined();
      const after = await deadTuples();
      expect(after['public.scans']).toBe(0);
      expect(after['app.findings']).toBe(0);
      const sum = (x: Record<string, number>) =>
        Object.values(x).reduce((a, b) => a + b, 0);
      expect(r.result.metrics['deadTuplesBefore']).toBe(sum(before));
      expect(r.result.metrics['deadTuplesAfter']).toBe(sum(after));
      const table = r.result.details?.find((d) =>
        d.includes('VACUUM (ANALYZE):'),
      );
      for (const [t, n] of Object.entries(before))
        expect(table).toContain(`| ${t} | ${n} | ${after[t]} |`);
      expect(r.result.checks.find((c) => c.name === 'vacuum')).toMatchObject({
        status: 'ok',
        observed: expect.stringMatching(
          new RegExp(
            `^dead tuples ${sum(before)} -> ${sum(after)} in 3 table\\(s\\), \\d+\\.\\d\\d s$`,
          ),
        ),
        threshold: 'VACUUM (ANALYZE), never FULL',
      });
      expect(r.result.changes.map((c) => c.where)).toEqual([`database ${db}`]);
      expect(r.result.metrics['vacuumSeconds']).toBeGreaterThanOrEqual(0);
      expect(await relfilenodes()).toBe(files);
    },
  );

  it('vacuum without a database source is skipped and says why', async () => {
    const r = await runProcedure(
      housekeeping,
      { kubeconfig: sim.kubeconfigPath },
      { ...process.env, RUNNER_TEMP: runnerTemp },
    );
    expect(r.failure).toBeUndefined();
    expect(r.result.checks.find((c) => c.name === 'vacuum')).toEqual({
      name: 'vacuum',
      status: 'skipped',
      observed:
        'no database source: set database-url, postgres-pod or postgres-selector',
    });
  });
});
