// The inventory bundle under deploy/rbac/inventory.yaml alone, with kube-sim
// enforcing it: pods listed, pip and psql run through exec (the database pod's
// environment reaches the real PostgreSQL), cert-manager's Deployment read,
// nothing refused and nothing written; another identity is refused and says
// so. And the CLI: the inventory subcommand and the quarterly chain.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, runBundle } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/cli.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startPostgres, type PgServer } from '../../services/index.js';
import {
  clusterObjects,
  dayFromNow,
  fakePip,
  NS,
  writePolicy,
} from './fixtures.js';

const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'inventory.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const SA = `system:serviceaccount:${NS}:pqc-ops-inventory`;
const GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NS}`];
let sim: KubeSim;
let pg: PgServer;
let policy: { path: string; dir: string };
const pipCalls: string[][] = [];

beforeAll(async () => {
  pg = await startPostgres();
  sim = await startKubeSim({
    rbac: true,
    objects: [...clusterObjects(pg), ...rbac],
  });
  sim.setVersion({ gitVersion: 'v1.33.4' });
  fakePip(sim, pipCalls);
  await sim.settle();
  const major = Math.floor(
    Number(await pg.psql('SHOW server_version_num')) / 10_000,
  );
  policy = writePolicy(`
kubernetes:
  end-of-life:
    '1.33': ${dayFromNow(-10)}
postgresql:
  end-of-life:
    '${major}': ${dayFromNow(1000)}
`);
}, 120_000);
afterAll(async () => {
  await Promise.all([sim?.close(), pg?.destroy()]);
  if (policy) rmSync(policy.dir, { recursive: true, force: true });
});

describe('inventory with deploy/rbac/inventory.yaml', () => {
  it('reads everything with that Role alone, the database through exec', async () => {
    const kc = sim.kubeconfigFor(SA, GROUPS);
    sim.clearJournal();
    const r = await runBundle('inventory', {
      kubeconfig: kc.path,
      'postgres-selector': 'app=postgres',
      database: 'postgres',
      policy: policy.path,
    });
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    expect(sim.writes()).toEqual([]);
    // Kubernetes 1.33 ended ten days ago: the default gate fails the step.
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain(
      '::error::inventory: Kubernetes v1.33.4 end-of-life',
    );
    expect(r.outputs['out-of-support']).toBe('1');
    const cs = JSON.parse(r.outputs['components'] ?? '[]') as {
      kind: string;
      where: string;
      support: string;
    }[];
    expect(cs.map((c) => c.kind)).toEqual([
      'kubernetes',
      'cert-manager',
      'postgresql',
      'image',
      'image',
      'python-package',
      'python-package',
    ]);
    expect(cs.find((c) => c.kind === 'postgresql')).toMatchObject({
      where: expect.stringContaining(`pod ${NS}/postgres-0`) as string,
      support: 'supported',
    });
    // Exec went to the pods the Role allows, as that identity.
    const execs = sim.journal.filter((j) => j.path.endsWith('/exec'));
    expect(execs.map((j) => [j.status, j.user])).toEqual([
      [101, SA],
      [101, SA],
    ]);
    expect(pipCalls).toHaveLength(1);
  });

  it('an identity without it is refused, and the step says where', async () => {
    const kc = sim.kubeconfigFor(`system:serviceaccount:${NS}:nobody`, GROUPS);
    sim.clearJournal();
    const r = await runBundle('inventory', {
      kubeconfig: kc.path,
      'fail-on': 'never',
      policy: policy.path,
    });
    expect(r.code).toBe(1);
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error::'));
    expect(error).toMatch(
      /^::error::inventory: incomplete: cert-manager: read deployment cert-manager\/cert-manager: deployments\.apps "cert-manager" is forbidden: .*; images: list pods in pqc-audit: pods is forbidden: .*; python packages: list pods in pqc-audit: pods is forbidden/,
    );
    // /version is open to every authenticated identity.
    expect(r.summary).toContain('| kubernetes | ⚠️ warning | v1.33.4');
    expect(sim.writes()).toEqual([]);
  });
});

describe('pqc-ops inventory and quarterly', () => {
  it('runs as a subcommand and as the quarterly chain', async () => {
    const single = await runCli([
      'inventory',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--policy',
      policy.path,
      '--fail-on',
      'never',
      '--json',
    ]);
    expect(single.code, single.err).toBe(0);
    const result = JSON.parse(single.out) as {
      procedure: string;
      status: string;
      followUps: string[];
    };
    expect(result).toMatchObject({ procedure: 'inventory', status: 'warning' });
    expect(result.followUps[0]).toContain(
      `Kubernetes v1.33.4 (${sim.httpsUrl}) reached its end of life on ${dayFromNow(-10)}`,
    );
    const chain = await runCli([
      'quarterly',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--policy',
      policy.path,
    ]);
    expect(chain.out).toContain('### inventory: ❌ failed');
    expect(chain.err).toContain(
      'pqc-ops inventory: inventory: Kubernetes v1.33.4 end-of-life',
    );
    expect(chain.code).toBe(1);
  });
});
