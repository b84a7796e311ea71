// The reusable pieces of a DR test (src/dr): replica counts recorded and
// brought back whatever the body does, the newest archive that verifies,
// RTO and RPO against their targets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newestVerifiedArchive } from '../../src/dr/archive.js';
import {
  dataTimeOf,
  measureRecovery,
  recoveryChecks,
} from '../../src/dr/recovery.js';
import {
  recordReplicas,
  withReplicasGuarded,
  type ReplicaChange,
} from '../../src/dr/replicas.js';
import { Kube } from '../../src/kube/client.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { deployment, namespace } from '../helpers/kube-objects.js';
import { makeArchive, newIdentity } from '../archive/make-archive.js';

const ns = 'pqc-audit';
let sim: KubeSim;
let kube: Kube;
const dirs: string[] = [];

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'postgres',
        namespace: ns,
        replicas: 1,
        image: 'postgres:15',
      }),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 3,
        image: 'pqc-audit:1',
      }),
    ],
  });
  await sim.settle();
  kube = await Kube.connect({
    kubeconfig: sim.kubeconfigPath,
    context: undefined,
    env: {},
    maskSecret: () => undefined,
  });
});
afterAll(async () => {
  await sim?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const replicas = (name: string) =>
  sim.get('apps/v1', 'Deployment', ns, name).spec.replicas as number;
const refs = [
  { namespace: ns, name: 'postgres' },
  { namespace: ns, name: 'pqc-audit' },
];

describe('withReplicasGuarded', () => {
  it('brings every workload back when the body throws, and keeps its error', async () => {
    const recs = await recordReplicas(kube, refs);
    expect(recs.map((r) => r.replicas)).toEqual([1, 3]);
    const changes: ReplicaChange[] = [];
    await expect(
      withReplicasGuarded(
        kube,
        recs,
        async (g) => {
          await g.scale('postgres', 0);
          await g.scale('pqc-audit', 0);
          expect([replicas('postgres'), replicas('pqc-audit')]).toEqual([0, 0]);
          throw new Error('pg_restore failed half way');
        },
        { onChange: (c) => changes.push(c) },
      ),
    ).rejects.toThrow(/^pg_restore failed half way$/);
    expect([replicas('postgres'), replicas('pqc-audit')]).toEqual([1, 3]);
    expect(changes.filter((c) => c.bringBack)).toEqual([
      { object: `Deployment ${ns}/postgres`, from: 0, to: 1, bringBack: true },
      { object: `Deployment ${ns}/pqc-audit`, from: 0, to: 3, bringBack: true },
    ]);
  });

  it('leaves a released workload where the body put it, and says when a bring-back fails', async () => {
    const recs = await recordReplicas(kube, refs);
    await withReplicasGuarded(kube, recs, async (g) => {
      await g.scale('pqc-audit', 0);
      g.release('pqc-audit');
    });
    expect(replicas('pqc-audit')).toBe(0);
    sim.apply({
      ...sim.get('apps/v1', 'Deployment', ns, 'pqc-audit'),
      spec: {
        ...sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec,
        replicas: 3,
      },
    });
    const again = await recordReplicas(kube, refs);
    await expect(
      withReplicasGuarded(kube, again, async (g) => {
        await g.scale('postgres', 0);
        await g.scale('pqc-audit', 2);
        sim.faults.add({
          method: 'PATCH',
          path: `/apis/apps/v1/namespaces/${ns}/deployments/postgres/scale`,
          status: 403,
          times: 1,
          message: 'denied by the test',
        });
      }),
    ).rejects.toThrow(
      /^bringing the workloads back failed: Deployment pqc-audit\/postgres \(back to 1\): .*denied by the test/,
    );
    expect([replicas('postgres'), replicas('pqc-audit')]).toEqual([0, 3]);
    await withReplicasGuarded(kube, again, () => Promise.resolve());
    expect(replicas('postgres')).toBe(1);
    sim.faults.clear();
  });
});

describe('newestVerifiedArchive', () => {
  it('passes over a newer damaged archive and one from the future', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-arch-'));
    dirs.push(dir);
    const identity = await newIdentity();
    const now = new Date();
    const old = await makeArchive({
      dir,
      nameAt: new Date(now.getTime() - 7200_000),
      identity,
    });
    const newer = await makeArchive({
      dir,
      nameAt: new Date(now.getTime() - 3600_000),
      identity,
    });
    await makeArchive({
      dir,
      nameAt: new Date(now.getTime() + 86_400_000 * 3),
      identity,
    });
    const b = readFileSync(newer.path);
    b[b.length - 200] ^= 0x01;
    writeFileSync(newer.path, b);
    const tried: string[] = [];
    const v = await newestVerifiedArchive({
      destination: dir,
      prefix: 'pqc-audit-backup',
      identities: [identity],
      required: new Set(['database']),
      now,
      onTry: (p, ok) => tried.push(`${ok} ${p}`),
    });
    expect(v.path).toBe(old.path);
    expect(tried).toEqual([`false ${newer.path}`, `true ${old.path}`]);
    expect(v.passedOver.map((p) => p.why)).toEqual([
      expect.stringMatching(/^named from the future/),
      expect.stringMatching(/integrity/),
    ]);
    expect(dataTimeOf(v.manifest).getTime()).toBe(now.getTime() - 7200_000);
    rmSync(old.path);
    await expect(
      newestVerifiedArchive({
        destination: dir,
        prefix: 'pqc-audit-backup',
        identities: [identity],
        required: new Set(['database']),
        now,
      }),
    ).rejects.toThrow(
      /none of the newest 1 archive\(s\) .* verifies: pqc-audit-backup_.*integrity/,
    );
  });
});

describe('measureRecovery', () => {
  it('measures RTO from failure to healthy and RPO from the data to the failure', () => {
    const failure = new Date('2026-11-27T12:00:00Z');
    const t = measureRecovery(
      failure,
      new Date('2026-11-27T02:00:00Z'),
      new Date('2026-11-27T12:03:30Z'),
    );
    expect([t.rtoSeconds, t.rpoSeconds]).toEqual([210, 36000]);
    expect(recoveryChecks(t, { rtoMs: 300_000, rpoMs: 6 * 3600_000 })).toEqual([
      expect.objectContaining({
        name: 'rto',
        status: 'ok',
        observed: '3 min 30 s (failure to healthy)',
      }),
      expect.objectContaining({
        name: 'rpo',
        status: 'failed',
        observed: '10 h 0 min (age of the data restored), over the target',
      }),
    ]);
    const never = measureRecovery(failure, failure);
    expect(recoveryChecks(never, {})[0]).toMatchObject({
      name: 'rto',
      status: 'failed',
    });
  });
});
