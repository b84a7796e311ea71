import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { restore } from '../../../src/procedures/restore/procedure.js';
import type { KubeSim } from '../../kube-sim/index.js';
import { startPostgres, type PgServer } from '../../services/index.js';
import {
  fingerprint,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import { startBackupSim, writeAppData } from '../../helpers/sim-fixtures.js';
import { configMap } from '../../helpers/kube-objects.js';

let pg: PgServer;
let sim: KubeSim;
let archive: string;
let identity: string;
let before: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  pg = await startPostgres();
  await seedDatabase(pg, 'pqc_audit');
  sim = await startBackupSim(pg);
  dataDir = writeAppData(sim, { 'state.json': '{"v":1}' });
  identity = await age.generateHybridIdentity();
  const dest = mkdtempSync(join(tmpdir(), 'bk-restore-'));
  const ex = await runProcedure(backup, {
    kubeconfig: sim.kubeconfigPath,
    'postgres-pod': 'postgres-0',
    'config-selector': 'app=pqc-audit',
    'appdata-pod': 'pqc-audit-0',
    destination: dest,
    'age-recipients': await age.identityToRecipient(identity),
  });
  expect(ex.failure).toBeUndefined();
  archive = ex.outputs['archive']!;
  before = await fingerprint(pg, 'pqc_audit');
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), sim?.close()]);
});

const common = () => ({
  kubeconfig: sim.kubeconfigPath,
  archive,
  'age-identity': identity,
  'postgres-pod': 'postgres-0',
  'appdata-pod': 'pqc-audit-0',
});

async function damage(): Promise<void> {
  await pg.psql(
    'DELETE FROM app.findings WHERE id % 2 = 0; DROP VIEW app.summary; DROP TABLE public.scans;',
    'pqc_audit',
  );
  sim.apply(
    configMap({
      name: 'pqc-audit-config',
      namespace: 'pqc-audit',
      labels: { app: 'pqc-audit' },
      data: { LOG_LEVEL: 'debug' },
    }),
  );
  sim.remove('v1', 'Secret', 'pqc-audit', 'pqc-audit-api-keys');
  writeFileSync(join(dataDir, 'state.json'), '{"v":2}');
}

describe('restore', () => {
  it('plans without touching anything, then applies the approved plan through exec', async () => {
    await damage();
    const damaged = await pg.psql(
      'SELECT count(*) FROM app.findings',
      'pqc_audit',
    );
    sim.clearJournal();
    const plan = await runProcedure(restore, { ...common(), mode: 'plan' });
    expect(plan.failure).toBeUndefined();
    expect(sim.writes()).toEqual([]);
    expect(
      await pg.psql('SELECT count(*) FROM app.findings', 'pqc_audit'),
    ).toBe(damaged);
    const p = JSON.parse(plan.outputs['plan']);
    expect(p.changes.map((c: { object: string }) => c.object)).toEqual(
      expect.arrayContaining([
        'database pqc_audit',
        'ConfigMap pqc-audit/pqc-audit-config',
        'Secret pqc-audit/pqc-audit-api-keys',
      ]),
    );
    const apply = await runProcedure(restore, {
      ...common(),
      mode: 'apply',
      plan: plan.outputs['plan-file'],
      'plan-sha256': plan.outputs['plan-sha256'],
    });
    expect(apply.failure).toBeUndefined();
    expect(apply.outputs['applied']).toBe('true');
    expect(existsSync(apply.outputs['safety-backup'])).toBe(true);
    expect(apply.outputs['safety-backup']).toMatch(
      /pqc-audit-emergency_\d{8}_\d{6}\.tar\.age$/,
    );
    expect(await fingerprint(pg, 'pqc_audit')).toEqual(before);
    expect(
      sim.get('v1', 'ConfigMap', 'pqc-audit', 'pqc-audit-config').data
        .LOG_LEVEL,
    ).toBe('info');
    expect(
      sim.get('v1', 'Secret', 'pqc-audit', 'pqc-audit-api-keys'),
    ).toBeDefined();
    expect(readFileSync(join(dataDir, 'state.json'), 'utf8')).toBe('{"v":1}');
  });

  it('refuses to apply when the database drifted since the plan', async () => {
    const plan = await runProcedure(restore, {
      ...common(),
      components: 'database',
      mode: 'plan',
    });
    await pg.psql(
      "INSERT INTO public.scans (name) VALUES ('drift')",
      'pqc_audit',
    );
    const apply = await runProcedure(restore, {
      ...common(),
      components: 'database',
      mode: 'apply',
      plan: plan.outputs['plan-file'],
    });
    expect(apply.failure).toMatch(/drifted since the plan/);
    expect(
      await pg.psql(
        "SELECT count(*) FROM public.scans WHERE name = 'drift'",
        'pqc_audit',
      ),
    ).toBe('1');
  });

  it('restores into a fresh database by URL, table by table equal', async () => {
    await pg.createDatabase('fresh');
    const ex = await runProcedure(
      restore,
      {
        archive,
        'age-identity': identity,
        'database-url': pg.url('fresh'),
        components: 'database',
        mode: 'auto',
      },
      {},
    );
    expect(ex.failure).toBeUndefined();
    expect(await fingerprint(pg, 'fresh')).toEqual(before);
  });

  it('refuses a tampered archive', async () => {
    const t = join(
      mkdtempSync(join(tmpdir(), 'bk-t-')),
      archive.split('/').pop()!,
    );
    const b = readFileSync(archive);
    b[b.length - 100] ^= 0x40;
    writeFileSync(t, b);
    const ex = await runProcedure(
      restore,
      {
        archive: t,
        'age-identity': identity,
        'database-url': pg.url('fresh'),
        components: 'database',
        mode: 'auto',
      },
      {},
    );
    expect(ex.failure).toMatch(/failed verification .*refusing to restore/);
  });
});
