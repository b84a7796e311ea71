// The quarterly DR test end to end on kube-sim and a real PostgreSQL: the
// plan changes nothing; the apply takes the database down, restores the
// newest verified archive, brings everything back and measures RTO and RPO;
// a restore that fails half way still brings the workloads back and fails
// the step saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drTest } from '../../../src/procedures/dr-test/procedure.js';
import { fingerprint, runProcedure } from '../../helpers/procedure.js';
import { DB, drInputs, NS, startDrWorld, type DrWorld } from './world.js';

let w: DrWorld;

beforeAll(async () => {
  w = await startDrWorld();
}, 120_000);
afterAll(async () => w?.close());

const leases = () =>
  w.sim.list('coordination.k8s.io/v1', 'Lease', NS).map((l) => l.metadata.name);
const scaleWrites = () =>
  w.sim
    .writes()
    .filter((j) => j.path.endsWith('/scale'))
    .map((j) => `${j.path.split('/').at(-2)} ${JSON.stringify(j.body)}`);

describe('dr-test', () => {
  it('plans without touching anything, then applies exactly that plan: RTO and RPO measured, data equal to the archive, replicas back', async () => {
    const changed = await fingerprint(w.pg, DB);
    expect(changed).not.toEqual(w.archived);
    w.sim.clearJournal();
    const plan = await runProcedure(drTest, drInputs(w, { mode: 'plan' }));
    expect(plan.failure).toBeUndefined();
    expect(w.sim.writes()).toEqual([]);
    expect(await fingerprint(w.pg, DB)).toEqual(changed);
    const p = JSON.parse(plan.outputs['plan']) as {
      changes: { object: string; action: string }[];
    };
    expect(p.changes.map((c) => `${c.object}: ${c.action}`)).toEqual([
      `Deployment ${NS}/postgres: scale 1 -> 0 (the simulated failure; RTO starts)`,
      `Deployment ${NS}/pqc-audit: scale 2 -> 0 while the database is restored`,
      `Deployment ${NS}/postgres: scale 0 -> 1`,
      expect.stringMatching(
        new RegExp(
          `^database ${DB}: replace with the dump of pqc-audit-backup_\\d{8}_\\d{6}\\.tar\\.age `,
        ),
      ),
      `Deployment ${NS}/pqc-audit: scale 0 -> 2, then wait for health (HTTP and pods; RTO ends)`,
    ]);

    const t0 = Date.now();
    const apply = await runProcedure(
      drTest,
      drInputs(w, {
        mode: 'apply',
        plan: plan.outputs['plan-file'],
        'plan-sha256': plan.outputs['plan-sha256'],
      }),
    );
    expect(apply.failure, apply.logs.join('\n')).toBeUndefined();
    expect(apply.outputs['applied']).toBe('true');
    expect(apply.outputs['archive']).toBe(w.archive);
    expect(await fingerprint(w.pg, DB)).toEqual(w.archived);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
    expect(scaleWrites()).toEqual([
      'postgres {"spec":{"replicas":0}}',
      'pqc-audit {"spec":{"replicas":0}}',
      'postgres {"spec":{"replicas":1}}',
      'pqc-audit {"spec":{"replicas":2}}',
    ]);
    const rto = Number(apply.outputs['rto-seconds']);
    const rpo = Number(apply.outputs['rpo-seconds']);
    expect(rto).toBeGreaterThan(0);
    expect(rto * 1000).toBeLessThan(Date.now() - t0);
    // The data is of the backup's start: at least the time since the backup
    // began until the apply started, at most until now.
    expect(rpo * 1000).toBeGreaterThanOrEqual(t0 - w.backupStartedAt - 1000);
    expect(rpo * 1000).toBeLessThanOrEqual(
      Date.now() - w.backupStartedAt + 1000,
    );
    const r = apply.result;
    expect(r.metrics).toEqual({
      pqc_dr_rto_seconds: rto,
      pqc_dr_rpo_seconds: rpo,
    });
    expect(r.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'rto',
          status: 'ok',
          threshold: 'at most 60 min 0 s',
        }),
        expect.objectContaining({ name: 'rpo', status: 'ok' }),
        expect.objectContaining({ name: 'row counts', status: 'ok' }),
        expect.objectContaining({ name: 'health: http', status: 'ok' }),
        expect.objectContaining({ name: 'health: pods', status: 'ok' }),
        expect.objectContaining({ name: 'replicas', status: 'ok' }),
        expect.objectContaining({ name: 'drift', status: 'ok' }),
      ]),
    );
    expect(r.changes.map((c) => `${c.where}: ${c.what}`)).toEqual([
      `Deployment ${NS}/postgres: scaled 1 -> 0 replicas`,
      `Deployment ${NS}/pqc-audit: scaled 2 -> 0 replicas`,
      `Deployment ${NS}/postgres: scaled 0 -> 1 replicas`,
      expect.stringMatching(/^postgres:\/\/.*: restored the database from /),
      `Deployment ${NS}/pqc-audit: scaled 0 -> 2 replicas`,
    ]);
    expect(
      await w.gw.sample('pqc_dr_rto_seconds', {
        job: 'pqc-ops-dr-test',
        instance: NS,
      }),
    ).toBe(rto);
    expect(
      await w.gw.sample('pqc_dr_rpo_seconds', {
        job: 'pqc-ops-dr-test',
        instance: NS,
      }),
    ).toBe(rpo);
    expect(leases()).toEqual([]);
    expect(r.summary).toMatch(/^DR test passed: RTO .* RPO .*, from /);
  }, 120_000);

  it('fails the RTO check when the target is missed, and says so in one line', async () => {
    await w.reset();
    const ex = await runProcedure(drTest, drInputs(w, { 'rto-target': '1s' }));
    expect(ex.failure).toMatch(
      /^dr-test: rto: [\d.]+ s \(failure to healthy\), over the target$/,
    );
    expect(await fingerprint(w.pg, DB)).toEqual(w.archived);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
  }, 120_000);

  it('when the restore fails half way, still brings the workloads back and fails saying so', async () => {
    await w.reset();
    const changed = await fingerprint(w.pg, DB);
    // A real failure inside pg_restore, after it has dropped and recreated
    // part of the schema: the single transaction rolls it all back. The
    // database is back up by then; the application is still at 0.
    await w.pg.psql(
      `CREATE FUNCTION public.refuse_findings() RETURNS event_trigger LANGUAGE plpgsql AS $$
       DECLARE r record;
       BEGIN
         FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
           IF r.object_identity = 'app.findings' THEN RAISE EXCEPTION 'disk failure injected by the test'; END IF;
         END LOOP;
       END $$;
       CREATE EVENT TRIGGER refuse_findings ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.refuse_findings();`,
      DB,
    );
    w.sim.clearJournal();
    try {
      const ex = await runProcedure(drTest, drInputs(w));
      expect(ex.failure).toMatch(
        /^dr-test: restore: pg_restore .*disk failure injected by the test.*; the workloads were brought back to their recorded replica counts \(Deployment pqc-audit\/pqc-audit\)$/,
      );
      expect(ex.failure?.split('\n')).toHaveLength(1);
      expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
      expect(await fingerprint(w.pg, DB)).toEqual(changed);
      const r = ex.result;
      expect(r.status).toBe('failed');
      expect(r.checks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'bring back', status: 'ok' }),
          expect.objectContaining({
            name: 'rto',
            status: 'failed',
            observed: expect.stringMatching(/^not healthy again/),
          }),
        ]),
      );
      expect(
        r.changes
          .filter((c) => c.what.startsWith('brought back'))
          .map((c) => c.where),
      ).toEqual([`Deployment ${NS}/pqc-audit`]);
      expect(r.metrics).toEqual({ pqc_dr_rpo_seconds: expect.any(Number) });
      expect(leases()).toEqual([]);
    } finally {
      await w.pg.psql(
        'DROP EVENT TRIGGER refuse_findings; DROP FUNCTION public.refuse_findings();',
        DB,
      );
    }
  }, 120_000);
});
