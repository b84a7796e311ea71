// Change control of restore, against real PostgreSQL and a real kube-sim:
// every refusal leaves the database, the ConfigMaps/Secrets and the Lease
// exactly as they were, and fails in one line that says why.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { restore } from '../../../src/procedures/restore/procedure.js';
import { serializePlan, type Plan } from '../../../src/plan/plan.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startPostgres, type PgServer } from '../../services/index.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import { startBackupSim } from '../../helpers/sim-fixtures.js';
import { configMap, lease, namespace } from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const db = 'pqc_audit';
let pg: PgServer;
let sim: KubeSim;
let archive: string;
let identity: string;
let seeded: Record<string, string>;

/** Makes the live state differ from the archive, so a restore would show. */
async function damage(): Promise<void> {
  await pg.psql('DELETE FROM app.findings WHERE id % 3 = 0', db);
  sim.apply(
    configMap({
      name: 'pqc-audit-config',
      namespace: ns,
      labels: { app: 'pqc-audit' },
      data: { LOG_LEVEL: 'debug' },
    }),
  );
}

beforeAll(async () => {
  pg = await startPostgres();
  await seedDatabase(pg, db);
  sim = await startBackupSim(pg);
  identity = await age.generateHybridIdentity();
  const ex = await runProcedure(backup, {
    kubeconfig: sim.kubeconfigPath,
    'postgres-pod': 'postgres-0',
    'config-selector': 'app=pqc-audit',
    include: 'database,config',
    destination: mkdtempSync(join(tmpdir(), 'rs-cc-')),
    'age-recipients': await age.identityToRecipient(identity),
  });
  expect(ex.failure).toBeUndefined();
  archive = ex.outputs['archive']!;
  seeded = await fingerprint(pg, db);
  await damage();
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), sim?.close()]);
});

const common = (extra: Record<string, string> = {}) => ({
  kubeconfig: sim.kubeconfigPath,
  archive,
  'age-identity': identity,
  'postgres-pod': 'postgres-0',
  components: 'database',
  ...extra,
});

/** uid, resourceVersion and generation of every object in the namespace that a restore or its Lease could touch. */
function objects(): string[] {
  return (['ConfigMap', 'Secret'] as const)
    .flatMap((k) => sim.list('v1', k, ns))
    .concat(sim.list('coordination.k8s.io/v1', 'Lease', ns))
    .map(
      (o) =>
        `${o.kind} ${o.metadata.name} ${o.metadata.uid} rv=${o.metadata.resourceVersion} gen=${o.metadata.generation ?? ''}`,
    )
    .sort();
}

interface Snapshot {
  db: Record<string, string>;
  objects: string[];
  configLogLevel: string;
}

async function snapshot(): Promise<Snapshot> {
  sim.clearJournal();
  return {
    db: await fingerprint(pg, db),
    objects: objects(),
    configLogLevel: sim.get('v1', 'ConfigMap', ns, 'pqc-audit-config').data
      .LOG_LEVEL,
  };
}

/** Refused before the Lease: no write. After it (drift): only the Lease, taken and released. */
async function expectNothingChanged(
  s: Snapshot,
  lease: 'untouched' | 'taken and released' = 'untouched',
): Promise<void> {
  expect(sim.writes().map((w) => `${w.method} ${w.path}`)).toEqual(
    lease === 'untouched'
      ? []
      : [
          `POST /apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
          `DELETE /apis/coordination.k8s.io/v1/namespaces/${ns}/leases/pqc-ops-backup`,
        ],
  );
  expect(objects()).toEqual(s.objects);
  expect(
    sim.get('v1', 'ConfigMap', ns, 'pqc-audit-config').data.LOG_LEVEL,
  ).toBe(s.configLogLevel);
  // The archive differs from the live database, so a restore would show here.
  expect(s.db).not.toEqual(seeded);
  expect(await fingerprint(pg, db)).toEqual(s.db);
}

type Run = Awaited<ReturnType<typeof runProcedure>>;

/** Refused, in one line, with a failed check saying why, nothing applied. */
function expectRefused(ex: Run, why: RegExp): void {
  expect(ex.failure).toMatch(/^restore: /);
  expect(ex.failure).toMatch(why);
  expect(ex.failure).not.toMatch(/[\r\n]/);
  expect(ex.failureKind).toBe('refused');
  expect(ex.result.status).toBe('failed');
  expect(ex.result.checks).toContainEqual(
    expect.objectContaining({
      name: 'refused',
      status: 'failed',
      observed: expect.stringMatching(why),
    }),
  );
  expect(ex.result.changes).toEqual([]);
  expect(ex.outputs['applied']).not.toBe('true');
  expect(ex.outputs['safety-backup'] ?? '').toBe('');
}

async function plan(inputs: Record<string, string>): Promise<Run> {
  const p = await runProcedure(restore, { ...inputs, mode: 'plan' });
  expect(p.failure).toBeUndefined();
  expect(p.outputs['applied']).toBe('false');
  return p;
}

/** Waits until PostgreSQL publishes the finished session's write counters. */
async function counterReaches(
  column: 'n_tup_ins' | 'n_tup_upd' | 'n_tup_del',
  atLeast: number,
): Promise<void> {
  const sql = `SELECT ${column} FROM pg_stat_user_tables WHERE schemaname = 'app' AND relname = 'findings'`;
  for (let i = 0; i < 150; i++) {
    if (Number(await pg.psql(sql, db)) >= atLeast) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${column} never reached ${atLeast}`);
}

const counter = async (column: string) =>
  Number(
    await pg.psql(
      `SELECT ${column} FROM pg_stat_user_tables WHERE schemaname = 'app' AND relname = 'findings'`,
      db,
    ),
  );

describe('restore change control', () => {
  it('a plan made for components database is refused when applied with database,config, naming components', async () => {
    const p = await plan(common());
    const s = await snapshot();
    const ex = await runProcedure(restore, {
      ...common({ components: 'database,config' }),
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expectRefused(
      ex,
      /the plan does not fit this run \(components: the plan has \["database"\], this run \["database","config"\]\)/,
    );
    await expectNothingChanged(s);
    expect(
      sim.get('v1', 'Secret', ns, 'pqc-audit-api-keys').data,
    ).toBeDefined();
  });

  it('a plan with an empty basis (sha256 recomputed) is refused: drift cannot be checked', async () => {
    const p = await plan(common());
    const doc = JSON.parse(p.outputs['plan']) as Plan & { sha256?: string };
    expect(doc.changes.map((c) => c.object)).toEqual([`database ${db}`]);
    delete doc.sha256;
    doc.basis = [];
    const edited = serializePlan(doc);
    const s = await snapshot();
    const ex = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: edited,
      'plan-sha256': JSON.parse(edited).sha256,
    });
    expectRefused(
      ex,
      /the plan changes database pqc_audit without recording its live state \(basis\), so drift cannot be checked/,
    );
    await expectNothingChanged(s);
  });

  it('a plan made for namespace staging is refused in namespace pqc-audit, naming namespaces', async () => {
    const byUrl = {
      archive,
      'age-identity': identity,
      'database-url': pg.url(db),
      components: 'database',
    };
    const p = await plan({ ...byUrl, namespace: 'staging' });
    const s = await snapshot();
    const ex = await runProcedure(
      restore,
      {
        ...byUrl,
        namespace: ns,
        mode: 'apply',
        plan: p.outputs['plan'],
      },
      {},
    );
    expectRefused(
      ex,
      /the plan does not fit this run \(namespaces: the plan has \["staging"\], this run \["pqc-audit"\]\)/,
    );
    await expectNothingChanged(s);
  });

  it('a plan made against another cluster server is refused, naming server', async () => {
    const other = await startKubeSim({
      objects: [namespace(ns)],
    });
    try {
      const byUrl = {
        archive,
        'age-identity': identity,
        'database-url': pg.url(db),
        components: 'database',
      };
      const p = await plan({ ...byUrl, kubeconfig: other.kubeconfigPath });
      const planned = JSON.parse(p.outputs['plan']) as Plan;
      expect(planned.target.server).toBe(other.httpsUrl);
      expect(other.httpsUrl).not.toBe(sim.httpsUrl);
      const s = await snapshot();
      other.clearJournal();
      const ex = await runProcedure(restore, {
        ...byUrl,
        kubeconfig: sim.kubeconfigPath,
        mode: 'apply',
        plan: p.outputs['plan'],
      });
      expectRefused(
        ex,
        new RegExp(
          `the plan does not fit this run \\(server: the plan has "${planned.target.server}", this run "${sim.httpsUrl}"\\)`,
        ),
      );
      await expectNothingChanged(s);
      expect(other.writes()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a database-only restore with a kubeconfig takes the Lease, and a Lease held by another run refuses it before any database change', async () => {
    const p = await plan(common());
    sim.apply(
      lease({
        name: 'pqc-ops-backup',
        namespace: ns,
        holder: 'pqc-ops-other-run',
        durationSeconds: 600,
        renewTime: new Date(),
      }),
    );
    const s = await snapshot();
    const held = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: p.outputs['plan-file'],
    });
    expectRefused(
      held,
      /lease pqc-audit\/pqc-ops-backup is held by pqc-ops-other-run/,
    );
    await expectNothingChanged(s);
    sim.remove('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-backup');

    sim.clearJournal();
    const ok = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expect(ok.failure).toBeUndefined();
    expect(ok.outputs['applied']).toBe('true');
    const leases = sim
      .writes()
      .filter((w) => w.path.includes('/leases'))
      .map((w) => `${w.method} ${w.path}`);
    expect(leases[0]).toBe(
      `POST /apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    );
    expect(leases.at(-1)).toBe(
      `DELETE /apis/coordination.k8s.io/v1/namespaces/${ns}/leases/pqc-ops-backup`,
    );
    expect(ok.result.checks).toContainEqual(
      expect.objectContaining({
        name: 'lock',
        status: 'ok',
        observed: `holding Lease ${ns}/pqc-ops-backup`,
      }),
    );
    expect(
      sim.get('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-backup'),
    ).toBeUndefined();
    // Only the planned database was restored; the damaged ConfigMap was not.
    expect(await fingerprint(pg, db)).toEqual(seeded);
    expect(
      sim.get('v1', 'ConfigMap', ns, 'pqc-audit-config').data.LOG_LEVEL,
    ).toBe('debug');
    await damage();
  });

  it('restore takes its Lease before the drift check: a held Lease refuses even when the database also drifted', async () => {
    const p = await plan(common());
    await pg.psql("INSERT INTO public.scans (name) VALUES ('drift')", db);
    sim.apply(
      lease({
        name: 'pqc-ops-backup',
        namespace: ns,
        holder: 'pqc-ops-other-run',
        durationSeconds: 600,
        renewTime: new Date(),
      }),
    );
    try {
      const s = await snapshot();
      const ex = await runProcedure(restore, {
        ...common(),
        mode: 'apply',
        plan: p.outputs['plan-file'],
      });
      expectRefused(
        ex,
        /lease pqc-audit\/pqc-ops-backup is held by pqc-ops-other-run/,
      );
      expect(ex.failure).not.toMatch(/drift/);
      await expectNothingChanged(s);
    } finally {
      sim.remove('coordination.k8s.io/v1', 'Lease', ns, 'pqc-ops-backup');
      await pg.psql("DELETE FROM public.scans WHERE name = 'drift'", db);
    }
  });

  it("restore's drift check catches an UPDATE that keeps the row counts", async () => {
    const p = await plan(common());
    const upd = await counter('n_tup_upd');
    const rows = await pg.psql('SELECT count(*) FROM app.findings', db);
    await pg.psql(
      "UPDATE app.findings SET note = 'tampered' WHERE id = (SELECT min(id) FROM app.findings)",
      db,
    );
    await counterReaches('n_tup_upd', upd + 1);
    expect(await pg.psql('SELECT count(*) FROM app.findings', db)).toBe(rows);
    const s = await snapshot();
    const ex = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expectRefused(
      ex,
      /the live state drifted since the plan was approved: database pqc_audit changed \(sha256 [0-9a-f]{64} -> [0-9a-f]{64}\)/,
    );
    await expectNothingChanged(s, 'taken and released');
    expect(
      await pg.psql(
        "SELECT count(*) FROM app.findings WHERE note = 'tampered'",
        db,
      ),
    ).toBe('1');
  });

  it("restore's drift check catches an INSERT and a DELETE that keep the row counts", async () => {
    const p = await plan(common());
    const del = await counter('n_tup_del');
    const rows = await pg.psql('SELECT count(*) FROM app.findings', db);
    await pg.psql(
      `INSERT INTO app.findings (host, algorithm, note) VALUES ('host-x', 'RSA-1024', 'swapped');
       DELETE FROM app.findings WHERE id = (SELECT min(id) FROM app.findings);`,
      db,
    );
    await counterReaches('n_tup_del', del + 1);
    expect(await pg.psql('SELECT count(*) FROM app.findings', db)).toBe(rows);
    const s = await snapshot();
    const ex = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: p.outputs['plan-file'],
    });
    expectRefused(
      ex,
      /the live state drifted since the plan was approved: database pqc_audit changed/,
    );
    await expectNothingChanged(s, 'taken and released');
  });

  it('an unchanged database does not drift: the same plan applies', async () => {
    // The write counters must not make every apply drift (reads, the plan's
    // own queries and the safety backup move none of them).
    const p = await plan(common());
    const ex = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: p.outputs['plan-file'],
      'plan-sha256': p.outputs['plan-sha256'],
    });
    expect(ex.failure).toBeUndefined();
    expect(ex.result.checks).toContainEqual(
      expect.objectContaining({ name: 'drift', status: 'ok' }),
    );
    expect(await fingerprint(pg, db)).toEqual(seeded);
  });
});
