// The inventory bundle as the runner runs it, against kube-sim (the API
// server version, images and cert-manager this test sets), the real
// PostgreSQL, Prometheus and Pushgateway, and a policy in which the
// Kubernetes minor ended yesterday and the PostgreSQL major ends in 30 days:
// both flagged, both next items of the maintenance log, nothing written.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBundle } from '../../helpers/bundle.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import {
  freePort,
  startPostgres,
  startPrometheus,
  startPushgateway,
  type PgServer,
  type PrometheusServer,
  type Pushgateway,
} from '../../services/index.js';
import {
  APP_IMAGE,
  clusterObjects,
  dayFromNow,
  fakePip,
  PG_DIGEST,
  PG_IMAGE,
  writePolicy,
} from './fixtures.js';
import { loadPolicy } from '../../../src/procedures/inventory/policy.js';

const DEFAULT = loadPolicy(undefined);

let sim: KubeSim;
let pg: PgServer;
let prom: PrometheusServer;
let gw: Pushgateway;
let pgMajor: string;
let pgVersion: string;
let promVersion: string;
const dirs: string[] = [];
const pipCalls: string[][] = [];

beforeAll(async () => {
  [pg, prom, gw] = await Promise.all([
    startPostgres(),
    startPrometheus(),
    startPushgateway(),
  ]);
  sim = await startKubeSim({ objects: clusterObjects(pg) });
  sim.setVersion({ gitVersion: 'v1.31.2' });
  fakePip(sim, pipCalls);
  await sim.settle();
  const num = Number(await pg.psql('SHOW server_version_num'));
  pgMajor = String(Math.floor(num / 10_000));
  pgVersion = `${pgMajor}.${num % 10_000}`;
  const b = (await (
    await fetch(`${prom.url}/api/v1/status/buildinfo`)
  ).json()) as { data: { version: string } };
  promVersion = b.data.version;
}, 120_000);
afterAll(async () => {
  await Promise.all([sim?.close(), pg?.destroy(), prom?.stop(), gw?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function policy(): string {
  const p = writePolicy(`
kubernetes:
  end-of-life:
    1.30: ${dayFromNow(-120)}
    1.31: ${dayFromNow(-1)}
    1.32: ${dayFromNow(200)}
postgresql:
  minimum: '13'
  end-of-life:
    '${pgMajor}': ${dayFromNow(30)}
cert-manager:
  end-of-life:
    '1.16': ${dayFromNow(400)}
prometheus:
  minimum: '2.0'
images:
  postgres:
    minimum: '15'
`);
  dirs.push(p.dir);
  return p.path;
}

interface Finding {
  kind: string;
  component: string;
  version: string;
  date: string;
  days: number | null;
}
interface Component {
  kind: string;
  name: string;
  version: string | null;
  digest: string | null;
  image?: string;
  support: string;
}

describe('inventory', () => {
  it('reports what runs and flags the expired and the soon-expiring component', async () => {
    sim.clearJournal();
    const r = await runBundle('inventory', {
      kubeconfig: sim.kubeconfigPath,
      'database-url': pg.url(),
      'prometheus-url': prom.url,
      'pushgateway-url': gw.url,
      policy: policy(),
    });
    // Kubernetes is out of support: the default gate fails the step.
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain(
      '::error::inventory: Kubernetes v1.31.2 end-of-life',
    );
    expect(r.outputs['out-of-support']).toBe('1');
    expect(r.outputs['expiring']).toBe('1');
    const findings = JSON.parse(r.outputs['findings'] ?? '[]') as Finding[];
    expect(
      findings.map((f) => [f.kind, f.component, f.version, f.date]),
    ).toEqual([
      ['end-of-life', 'Kubernetes API server', 'v1.31.2', dayFromNow(-1)],
      ['end-of-life-soon', 'PostgreSQL server', pgVersion, dayFromNow(30)],
    ]);
    expect(findings[1]?.days).toBeGreaterThanOrEqual(30);
    expect(findings[1]?.days).toBeLessThanOrEqual(31);

    const cs = JSON.parse(r.outputs['components'] ?? '[]') as Component[];
    const by = (kind: string) => cs.filter((c) => c.kind === kind);
    expect(by('cert-manager')).toMatchObject([
      { version: 'v1.16.2', support: 'supported' },
    ]);
    expect(by('prometheus')).toMatchObject([
      { version: promVersion, support: 'supported' },
    ]);
    // Every image with the digest the kubelet reports (pinned: the pin).
    const images = by('image');
    expect(images.map((c) => c.image).sort()).toEqual(
      [APP_IMAGE, PG_IMAGE].sort(),
    );
    for (const c of images) expect(c.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(images.find((c) => c.image === PG_IMAGE)).toMatchObject({
      digest: PG_DIGEST,
      version: '15',
      support: 'supported',
    });
    expect(by('python-package').map((c) => [c.name, c.version])).toEqual([
      ['cryptography', '41.0.7'],
      ['requests', '2.31.0'],
    ]);
    expect(pipCalls.at(-1)).toEqual([
      'pip',
      'list',
      '--outdated',
      '--format=json',
    ]);

    expect(r.summary).toContain('| kubernetes | ❌ failed |');
    expect(r.summary).toContain('| postgresql | ⚠️ warning |');
    expect(r.summary).toContain(`end of life ${dayFromNow(-1)} (release 1.31)`);
    expect(r.summary).toContain(PG_DIGEST);
    // Read-only: no write, no Lease.
    expect(sim.writes()).toEqual([]);

    expect(
      await gw.sample('pqc_inventory_findings', { kind: 'end-of-life' }),
    ).toBe(1);
    expect(
      await gw.sample('pqc_inventory_findings', { kind: 'end-of-life-soon' }),
    ).toBe(1);
    expect(
      await gw.sample('pqc_inventory_findings', { kind: 'below-minimum' }),
    ).toBe(0);
    expect(await gw.sample('pqc_inventory_components', { kind: 'image' })).toBe(
      2,
    );
    expect(await gw.sample('pqc_inventory_outdated_python_packages')).toBe(2);
    expect(await gw.sample('pqc_inventory_success')).toBe(0);

    // The maintenance log of the same job lists them as next items.
    const log = await runBundle(
      'maintenance-log',
      { 'comment-on': 'none', cadence: 'quarterly' },
      { RUNNER_TEMP: r.runnerTemp },
    );
    expect(log.code, log.stdout).toBe(0);
    const next = log.summary.split('## Next Maintenance Items')[1] ?? '';
    expect(next).toContain(
      `Kubernetes v1.31.2 (${sim.httpsUrl}) reached its end of life on ${dayFromNow(-1)} (release 1.31`,
    );
    expect(next).toMatch(
      new RegExp(
        `PostgreSQL ${pgVersion.replace('.', '\\.')} \\(.*\\): support of release ${pgMajor} ends ${dayFromNow(30)}, in 3[01] days`,
      ),
    );
    expect(next).toContain(
      '2 Python package(s) of the application have newer releases (cryptography 41.0.7 → 44.0.1, requests 2.31.0 → 2.32.3)',
    );
  }, 180_000);

  it('passes with the gate off, and an unreachable Prometheus makes it incomplete', async () => {
    // A port nothing listens on.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await runBundle('inventory', {
      kubeconfig: sim.kubeconfigPath,
      'database-url': pg.url(),
      'prometheus-url': closed,
      'prometheus-timeout': '2s',
      policy: policy(),
      'fail-on': 'never',
      'pip-command': 'none',
    });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `::error::inventory: incomplete: prometheus: Prometheus at ${closed}: api/v1/status/buildinfo: ECONNREFUSED`,
      ),
    );
    expect(r.summary).toContain('| kubernetes | ⚠️ warning |');
    expect(r.summary).toContain(
      '| python packages | ⏭️ skipped | pip-command: none',
    );
    expect(r.outputs['out-of-support']).toBe('1');
  }, 120_000);
});

describe('inventory without the optional peers', () => {
  it('reads the cluster alone against the default policy', async () => {
    const newest = [...(DEFAULT.products.kubernetes?.endOfLife ?? [])].pop();
    sim.setVersion({ gitVersion: `v${newest?.release ?? '?'}.1` });
    try {
      const r = await runBundle('inventory', {
        kubeconfig: sim.kubeconfigPath,
        'pip-command': 'none',
      });
      const cs = JSON.parse(r.outputs['components'] ?? '[]') as Component[];
      expect(cs.find((c) => c.kind === 'kubernetes')).toMatchObject({
        version: `v${newest?.release ?? '?'}.1`,
        support: 'supported',
      });
      expect(r.summary).toContain(
        '| postgresql | ⏭️ skipped | no database-url, postgres-pod or postgres-selector',
      );
      expect(r.summary).toContain(
        '| prometheus | ⏭️ skipped | no prometheus-url',
      );
      expect(r.summary).toContain('policy: the default policy');
      expect(r.code, r.stdout).toBe(0);
    } finally {
      sim.setVersion({ gitVersion: 'v1.31.2' });
    }
  }, 120_000);
});
