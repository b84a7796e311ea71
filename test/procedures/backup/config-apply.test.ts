import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/procedures/backup/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runProcedure } from '../../helpers/procedure.js';

const exec = promisify(execFile);
const fixtures = join(import.meta.dirname, '..', '..', 'kube-sim', 'fixtures');
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({ manifests: [fixtures] });
  await sim.settle();
});
afterAll(async () => sim?.close());

async function configBackup(dest: string, extra: Record<string, string> = {}) {
  return runProcedure(backup, {
    kubeconfig: sim.kubeconfigPath,
    include: 'config',
    'config-selector': 'app=pqc-audit',
    destination: dest,
    'allow-plaintext-secrets': 'true',
    ...extra,
  });
}

describe('config.yaml', () => {
  it('is accepted by kubectl apply, without server-set fields, and recreates what it saved', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-config-'));
    const ex = await configBackup(dest);
    expect(ex.failure).toBeUndefined();
    const out = mkdtempSync(join(tmpdir(), 'bk-config-x-'));
    await exec('tar', ['-xf', ex.outputs['archive'], '-C', out, 'config.yaml']);
    const file = join(out, 'config.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map(
      (d) =>
        d.toJSON() as {
          kind: string;
          metadata: Record<string, unknown>;
          status?: unknown;
        },
    );
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Secret',
      'Secret',
    ]);
    for (const d of docs) {
      for (const f of [
        'uid',
        'resourceVersion',
        'creationTimestamp',
        'managedFields',
        'generation',
      ]) {
        expect(
          d.metadata[f],
          `${d.kind} ${String(d.metadata['name'])}.metadata.${f}`,
        ).toBeUndefined();
      }
      expect(d.status).toBeUndefined();
    }
    const before = sim.get('v1', 'Secret', 'pqc-audit', 'pqc-audit-db');
    for (const d of docs)
      sim.remove('v1', d.kind, 'pqc-audit', String(d.metadata['name']));
    const kc = ['--kubeconfig', sim.kubeconfigPath];
    const applied = await exec('kubectl', [...kc, 'apply', '-f', file]);
    expect(applied.stdout).toMatch(/secret\/pqc-audit-db created/);
    const after = sim.get('v1', 'Secret', 'pqc-audit', 'pqc-audit-db');
    expect(after.data).toEqual(before.data);
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    // Applying it again over live objects is accepted too.
    const again = await exec('kubectl', [...kc, 'apply', '-f', file]);
    expect(again.stdout).toMatch(
      /configmap\/pqc-audit-config (unchanged|configured)/,
    );
  });
});

describe('retention on disk', () => {
  it('deletes expired archives of this prefix only, never the newest keep-last, never other files', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'bk-retention-'));
    const old = (days: number) => new Date(Date.now() - days * 86_400_000);
    const files: [string, number][] = [
      ['pqc-audit-backup_20260101_000000.tar', 90],
      ['pqc-audit-backup_20260201_000000.tar.age', 60],
      ['pqc-audit-backup_20260301_000000.tar', 40],
      ['other-backup_20260101_000000.tar', 300],
      ['pqc-audit-backup_notes.txt', 300],
      ['pqc-audit-backup_20260101_000000.tar.bak', 300],
    ];
    for (const [name, days] of files) {
      writeFileSync(join(dest, name), 'x');
      utimesSync(join(dest, name), old(days), old(days));
    }
    const ex = await configBackup(dest, {
      'retention-days': '30',
      'keep-last': '3',
    });
    expect(ex.failure).toBeUndefined();
    const left = readdirSync(dest).sort();
    // The new archive plus the two newest old ones are the newest three; the 90-day one goes.
    expect(left).not.toContain('pqc-audit-backup_20260101_000000.tar');
    expect(left).toEqual(
      expect.arrayContaining([
        'pqc-audit-backup_20260201_000000.tar.age',
        'pqc-audit-backup_20260301_000000.tar',
        'other-backup_20260101_000000.tar',
        'pqc-audit-backup_notes.txt',
        'pqc-audit-backup_20260101_000000.tar.bak',
      ]),
    );
    expect(left).toHaveLength(6);
  });
});
