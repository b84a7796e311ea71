import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from '../../kube-sim/index.js';
import {
  startPostgres,
  startPushgateway,
  type PgServer,
  type Pushgateway,
} from '../../services/index.js';
import { actionEntry, runAction } from '../../helpers/bundle.js';
import { findLeaks, seedDatabase } from '../../helpers/procedure.js';
import {
  SIM_SECRET_VALUE,
  startBackupSim,
  writeAppData,
} from '../../helpers/sim-fixtures.js';

/** What the runner shows: it consumes `::add-mask::` commands, never printing them. */
const visible = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

let pg: PgServer;
let gw: Pushgateway;
let sim: KubeSim;

beforeAll(async () => {
  actionEntry('backup');
  [pg, gw] = await Promise.all([startPostgres(), startPushgateway()]);
  await seedDatabase(pg, 'pqc_audit');
  sim = await startBackupSim(pg);
  writeAppData(sim, { 'a.txt': 'a' });
}, 180_000);
afterAll(async () => {
  await Promise.all([pg?.destroy(), gw?.stop(), sim?.close()]);
});

describe('the bundled actions, run as the runner runs them', () => {
  it('backup, backup-verify and restore plan, with no secret anywhere', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-action-'));
    const identity = await age.generateHybridIdentity();
    const b = await runAction('backup', {
      'database-url': pg.url('pqc_audit'),
      kubeconfig: sim.kubeconfigPath,
      'config-selector': 'app=pqc-audit',
      'appdata-pod': 'pqc-audit-0',
      destination: dest,
      'age-recipients': await age.identityToRecipient(identity),
      'allow-plaintext-secrets': 'false',
      'pushgateway-url': gw.url,
    });
    expect(b.stdout).not.toContain('::error');
    expect(b.code).toBe(0);
    expect(b.outputs['archive']).toMatch(
      /pqc-audit-backup_\d{8}_\d{6}\.tar\.age$/,
    );
    expect(b.outputs['sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(b.outputs['size'])).toBeGreaterThan(0);
    expect(JSON.parse(b.outputs['result']).status).toBe('ok');
    expect(b.summary).toContain('### backup: ✅ ok');
    expect(
      await gw.sample('pqc_backup_success', {
        job: 'pqc-ops-backup',
        instance: 'pqc-audit-backup',
      }),
    ).toBe(1);

    const v = await runAction('backup-verify', {
      destination: dest,
      'age-identity': identity,
      'scratch-database-url': pg.url('action_scratch'),
      require: 'database,config,appdata',
      'pushgateway-url': gw.url,
    });
    expect(v.code).toBe(0);
    expect(v.outputs['verified']).toBe('true');
    expect(v.outputs['archive']).toBe(b.outputs['archive']);

    const r = await runAction('restore', {
      archive: b.outputs['archive'],
      'age-identity': identity,
      'database-url': pg.url('pqc_audit'),
      kubeconfig: sim.kubeconfigPath,
      'appdata-pod': 'pqc-audit-0',
      mode: 'plan',
    });
    expect(r.code).toBe(0);
    expect(r.outputs['applied']).toBe('false');
    expect(r.outputs['plan-sha256']).toMatch(/^[0-9a-f]{64}$/);

    const needles = [pg.password, SIM_SECRET_VALUE, identity];
    for (const run of [b, v, r]) {
      expect(run.stdout).toContain(`::add-mask::${pg.password}`);
      expect(
        visible(run.stdout) +
          run.stderr +
          run.summary +
          JSON.stringify(run.outputs),
      ).not.toMatch(new RegExp(needles.join('|')));
      expect(findLeaks([run.runnerTemp], needles)).toEqual([]);
    }
    expect(findLeaks([dest], needles)).toEqual([]);
    expect(readdirSync(dest)).toEqual([b.outputs['archive'].split('/').pop()]);
  });

  it('fails the step with one clear line on a bad input', async () => {
    const r = await runAction('backup', {
      'database-url': pg.url('pqc_audit'),
      destination: tmpdir(),
      include: 'database,logs',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error::backup: invalid configuration: input \'include\': unknown component "logs"',
    );
    expect(visible(r.stdout)).not.toContain(pg.password);
  });
});
