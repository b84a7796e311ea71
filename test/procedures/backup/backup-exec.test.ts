import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { backupVerify as verify } from '../../../src/procedures/backup-verify/procedure.js';
import type { KubeSim } from '../../kube-sim/index.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import {
  findLeaks,
  run,
  runProcedure,
  seedDatabase,
} from '../../helpers/procedure.js';
import {
  SIM_SECRET_VALUE,
  startBackupSim,
  writeAppData,
} from '../../helpers/sim-fixtures.js';
import { lease } from '../../helpers/kube-objects.js';

let pg: PgServer;
let gw: Pushgateway;
let sim: KubeSim;

beforeAll(async () => {
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit');
  sim = await startBackupSim(pg);
  writeAppData(sim, { 'reports/r1.json': '{"ok":true}', 'ünï.txt': 'data ✓' });
});
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop(), sim?.close()]);
});

describe('backup through exec, with config, app data and the Lease', () => {
  it('backs up all three components, encrypted, and verifies', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-exec-'));
    const id = await age.generateX25519Identity();
    const ex = await runProcedure(backup, {
      kubeconfig: sim.kubeconfigPath,
      namespace: 'pqc-audit',
      'postgres-selector': 'app=postgres',
      'config-selector': 'app=pqc-audit',
      'appdata-selector': 'app=pqc-audit',
      destination: dest,
      'age-recipients': await age.identityToRecipient(id),
      'pushgateway-url': gw.url,
    });
    expect(ex.failure).toBeUndefined();
    expect(ex.result.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'lock',
        'database',
        'config',
        'appdata',
        'archive',
        'retention',
        'metrics',
      ]),
    );
    const writes = sim.writes().map((w) => `${w.method} ${w.path}`);
    expect(writes).toContain(
      'POST /apis/coordination.k8s.io/v1/namespaces/pqc-audit/leases',
    );
    expect(writes).toContain(
      'DELETE /apis/coordination.k8s.io/v1/namespaces/pqc-audit/leases/pqc-ops-backup',
    );
    expect(
      sim.journal.some(
        (j) => j.status === 101 && j.path.includes('/pods/postgres-0/exec'),
      ),
    ).toBe(true);
    const v = await runProcedure(
      verify,
      {
        archive: ex.outputs['archive'],
        'age-identity': id,
        'scratch-database-url': pg.url('exec_scratch'),
        require: 'database,config,appdata',
      },
      {},
    );
    expect(v.failure).toBeUndefined();
    expect(
      v.result.checks.find((c) => c.name === 'config.yaml')?.observed,
    ).toContain('2 object(s)');
    // The archive opens with the age CLI and GNU tar; app data is a plain tar of /data.
    const x = mkdtempSync(join(tmpdir(), 'bk-exec-x-'));
    const keyFile = join(x, 'key.txt');
    (await import('node:fs')).writeFileSync(keyFile, `${id}\n`);
    const dec = await run('age', ['-d', '-i', keyFile, ex.outputs['archive']]);
    expect(
      (await run('tar', ['-x', '-C', x], { input: dec.stdout })).code,
    ).toBe(0);
    expect(readdirSync(x).sort()).toEqual([
      'appdata.tar',
      'config.yaml',
      'database.dump',
      'key.txt',
      'manifest.json',
      'manifest.sha256',
    ]);
    const inner = await run('tar', ['-tf', join(x, 'appdata.tar')]);
    expect(inner.stdout.toString()).toContain('./reports/r1.json');
    // Nothing secret in the log, the result, the summary or the destination (all encrypted).
    const needles = [pg.password, SIM_SECRET_VALUE, id];
    expect(findLeaks([dest, process.env['RUNNER_TEMP']!], needles)).toEqual([]);
    expect(
      JSON.stringify([ex.logs, ex.result, ex.outputs, ex.markdown]),
    ).not.toMatch(new RegExp(needles.join('|')));
  });

  it('refuses Secrets in a plaintext archive unless allowed', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-exec-'));
    const ex = await runProcedure(backup, {
      kubeconfig: sim.kubeconfigPath,
      'postgres-pod': 'postgres-0',
      'config-selector': 'app=pqc-audit',
      include: 'database,config',
      destination: dest,
      'pushgateway-url': gw.url,
    });
    expect(ex.failure).toMatch(/Secrets are never written unencrypted/);
    expect(readdirSync(dest)).toEqual([]);
    expect(await gw.sample('pqc_backup_success')).toBe(0);
  });

  it('fails when another run holds the Lease, deleting nothing', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-exec-'));
    const old = join(dest, 'pqc-audit-backup_20000101_000000.tar');
    (await import('node:fs')).writeFileSync(old, 'old');
    sim.apply(
      lease({
        name: 'pqc-ops-backup',
        namespace: 'pqc-audit',
        holder: 'other-run',
        durationSeconds: 3600,
        renewTime: new Date(),
        acquireTime: new Date(),
      }),
    );
    const ex = await runProcedure(backup, {
      kubeconfig: sim.kubeconfigPath,
      'postgres-pod': 'postgres-0',
      include: 'database',
      destination: dest,
      'keep-last': '0',
      'pushgateway-url': gw.url,
    });
    expect(ex.failure).toMatch(/held by other-run/);
    expect(readdirSync(dest)).toEqual(['pqc-audit-backup_20000101_000000.tar']);
    expect(await gw.sample('pqc_backup_success')).toBe(0);
    sim.remove(
      'coordination.k8s.io/v1',
      'Lease',
      'pqc-audit',
      'pqc-ops-backup',
    );
  });
});
