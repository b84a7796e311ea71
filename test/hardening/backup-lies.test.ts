// A backup must never claim more than it did: a run that cannot archive what
// it was asked to fails before touching anything, reports pqc_backup_success
// 0, and never runs retention over the archives that are still the only good
// ones.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim } from '../kube-sim/index.js';
import {
  freePort,
  startPushgateway,
  type Pushgateway,
} from '../services/index.js';
import { actionEntry, runBundle, type BundleRun } from '../helpers/bundle.js';
import { makeArchive } from '../archive/make-archive.js';
import { configMap, namespace } from '../helpers/kube-objects.js';

let gw: Pushgateway;

beforeAll(async () => {
  actionEntry('backup');
  gw = await startPushgateway();
}, 120_000);
afterAll(async () => gw?.stop());

const DAY = 86_400_000;

/** A destination holding three real archives of `prefix`, 40, 50 and 60 days old. */
async function destWithOldArchives(
  prefix: string,
): Promise<{ dir: string; names: string[]; sizes: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bk-lies-'));
  const names: string[] = [];
  for (const days of [40, 50, 60]) {
    const a = await makeArchive({
      dir,
      prefix,
      nameAt: new Date(Math.floor((Date.now() - days * DAY) / 1000) * 1000),
    });
    names.push(a.path.split('/').pop() ?? '');
  }
  names.sort();
  return {
    dir,
    names,
    sizes: names.map((n) => statSync(join(dir, n)).size),
  };
}

function oneErrorLine(r: BundleRun): string {
  expect(r.code, r.stdout).toBe(1);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors, r.stdout).toHaveLength(1);
  return errors[0] ?? '';
}

describe('hardening: a failed backup never deletes the good ones (bundles)', () => {
  it('include config without a kubeconfig fails before touching anything, pushes success 0, and retention never runs', async () => {
    const prefix = 'lies-config-no-kube';
    const { dir, names, sizes } = await destWithOldArchives(prefix);
    const r = await runBundle('backup', {
      include: 'config',
      destination: dir,
      prefix,
      'retention-days': '1',
      'keep-last': '0',
      'pushgateway-url': gw.url,
    });
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup: invalid configuration: /);
    expect(line).toContain("input 'include'");
    expect(line).toMatch(/config needs cluster credentials \('kubeconfig'\)/);
    const result = JSON.parse(r.outputs['result'] ?? '') as {
      status: string;
      checks: { name: string; status: string }[];
    };
    expect(result.status).toBe('failed');
    expect(result.checks.map((c) => c.name)).not.toContain('retention');
    expect(r.outputs['archive']).toBe('');
    // the three archives are all still there, untouched, and nothing was added
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(names.map((n) => statSync(join(dir, n)).size)).toEqual(sizes);
    expect(
      await gw.sample('pqc_backup_success', {
        job: 'pqc-ops-backup',
        instance: prefix,
      }),
    ).toBe(0);
    expect(
      await gw.sample('pqc_backup_last_success_timestamp_seconds', {
        instance: prefix,
      }),
    ).toBeUndefined();
  });

  it('a backup that fails mid-way (database unreachable) never runs retention: expired archives survive', async () => {
    const prefix = 'lies-db-unreachable';
    const { dir, names, sizes } = await destWithOldArchives(prefix);
    const port = await freePort();
    const r = await runBundle('backup', {
      include: 'database',
      'database-url': `postgres://pqc:not-a-real-pw-Vb3@127.0.0.1:${port}/pqc_audit`,
      destination: dir,
      prefix,
      'retention-days': '1',
      'keep-last': '0',
      'pushgateway-url': gw.url,
    });
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup: /);
    expect(line).toMatch(/127\.0\.0\.1/);
    expect(line).not.toContain('not-a-real-pw-Vb3');
    const result = JSON.parse(r.outputs['result'] ?? '') as {
      status: string;
      checks: { name: string; status: string }[];
      followUps: string[];
    };
    expect(result.status).toBe('failed');
    expect(result.checks.map((c) => c.name)).not.toContain('retention');
    expect(result.followUps.join('\n')).toMatch(/Retention did not run/);
    expect(r.outputs['archive']).toBe('');
    // every expired archive survived, no partial archive or spool was left
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(names.map((n) => statSync(join(dir, n)).size)).toEqual(sizes);
    expect(
      await gw.sample('pqc_backup_success', {
        job: 'pqc-ops-backup',
        instance: prefix,
      }),
    ).toBe(0);
    expect(
      await gw.sample('pqc_backup_last_success_timestamp_seconds', {
        instance: prefix,
      }),
    ).toBeUndefined();
  });

  it('control: the same destination after a successful run loses the three expired archives to retention', async () => {
    const prefix = 'lies-control';
    const { dir, names } = await destWithOldArchives(prefix);
    const sim = await startKubeSim({
      objects: [
        namespace('pqc-audit'),
        configMap({
          name: 'pqc-audit-config',
          namespace: 'pqc-audit',
          data: { LOG_LEVEL: 'info' },
        }),
      ],
    });
    try {
      await sim.settle();
      const r = await runBundle('backup', {
        kubeconfig: sim.kubeconfigPath,
        include: 'config',
        destination: dir,
        prefix,
        'retention-days': '1',
        'keep-last': '0',
        'pushgateway-url': gw.url,
      });
      expect(r.code, r.stdout).toBe(0);
      const left = readdirSync(dir);
      expect(left).toHaveLength(1);
      expect(names).not.toContain(left[0]);
      expect(r.outputs['archive']).toBe(join(dir, left[0] ?? ''));
    } finally {
      await sim.close();
    }
  });
});
