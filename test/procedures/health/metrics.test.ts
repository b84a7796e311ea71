// health's pushgateway-url against the real Pushgateway: the status and one
// labelled sample per check, the whole group replaced on every run, the
// failure value when the service cannot be checked at all, and a Pushgateway
// outage as a warning.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledExposition } from '../../../src/prometheus/labelled.js';
import { healthFamilies } from '../../../src/procedures/health/metrics.js';
import { health } from '../../../src/procedures/health/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import {
  container,
  deployment,
  namespace,
} from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import {
  freePort,
  startHttpEndpoint,
  startPushgateway,
  type HttpEndpoint,
  type Pushgateway,
} from '../../services/index.js';

const ns = 'pqc-audit';
const group = {
  job: 'pqc-ops-health',
  namespace: ns,
  deployment: 'pqc-audit',
};

let gw: Pushgateway;
let app: HttpEndpoint;
let sim: KubeSim;

beforeAll(async () => {
  [gw, app] = await Promise.all([startPushgateway(), startHttpEndpoint()]);
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        deploymentLabels: { app: 'pqc-audit' },
        replicas: 2,
        behavior: 'ready',
        containers: [
          container('pqc-audit', 'ghcr.io/pqc-ops/pqc-audit:1.4.2', {
            resources: { limits: { cpu: '1', memory: '512Mi' } },
          }),
        ],
      }),
    ],
  });
  await sim.settle();
});
afterAll(async () => {
  await Promise.all([gw?.stop(), app?.close(), sim?.close()]);
});

function setCpu(cpu: string): void {
  for (const p of sim.list('v1', 'Pod', ns))
    sim.setPodMetrics(ns, p.metadata.name, [
      { name: 'pqc-audit', cpu, memory: '200Mi' },
    ]);
}

function run(inputs: Record<string, string>) {
  return runProcedure(health, {
    kubeconfig: sim.kubeconfigPath,
    'crypto-check': 'none',
    'pushgateway-url': gw.url,
    ...inputs,
  });
}

/** Every `pqc_health_check_status` of the group, by check. */
async function checks(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await gw.samples())
    if (
      s.name === 'pqc_health_check_status' &&
      Object.entries(group).every(([k, v]) => s.labels[k] === v)
    )
      out[s.labels['check'] ?? ''] = s.value;
  return out;
}

async function closedPortKubeconfig(): Promise<string> {
  const port = await freePort();
  const path = join(mkdtempSync(join(tmpdir(), 'health-gone-')), 'config');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token-0000}
contexts:
- name: gone
  context: {cluster: gone, user: u, namespace: default}
current-context: gone
`,
  );
  return path;
}

describe('health metrics', () => {
  it('labels each check and leaves skipped ones out', () => {
    const text = labelledExposition(
      healthFamilies(0.5, [
        { name: 'http', status: 'ok', observed: '200' },
        { name: 'cpu', status: 'warning', observed: '93%' },
        { name: 'crypto', status: 'skipped', observed: 'crypto-check none' },
        { name: 'self "heal"', status: 'failed', observed: 'x' },
      ]),
    );
    expect(text).toBe(
      '# HELP pqc_health_status Outcome of the last health run: 1 ok, 0.5 warning, 0 failed.\n' +
        '# TYPE pqc_health_status gauge\n' +
        'pqc_health_status 0.5\n' +
        '# HELP pqc_health_check_status Outcome of each check of the last health run (label check): 1 ok, 0.5 warning, 0 failed.\n' +
        '# TYPE pqc_health_check_status gauge\n' +
        'pqc_health_check_status{check="http"} 1\n' +
        'pqc_health_check_status{check="cpu"} 0.5\n' +
        'pqc_health_check_status{check="self \\"heal\\""} 0\n',
    );
  });

  it('pushes 1 and every check when healthy, 0.5 when degraded, replacing the group', async () => {
    setCpu('300m');
    app.respond('/health', { status: 200, body: 'ok' });
    const ok = await run({ 'health-url': `${app.url}/health` });
    expect(ok.failure).toBeUndefined();
    expect(ok.outputs['status']).toBe('healthy');
    expect(ok.result.status).toBe('ok');
    expect(ok.result.metrics['pqc_health_status']).toBe(1);
    const m = ok.result.checks.find((c) => c.name === 'metrics');
    expect(m?.status).toBe('ok');
    expect(m?.observed).toBe(
      'pushed pqc_health_status 1 and 5 check result(s) (PUT pqc-ops-health/pqc-audit/pqc-audit)',
    );
    expect(await gw.sample('pqc_health_status', group)).toBe(1);
    expect(await checks()).toEqual({
      http: 1,
      pods: 1,
      deployment: 1,
      cpu: 1,
      memory: 1,
    });

    // Degraded, and without health-url: the http sample goes with the PUT.
    setCpu('950m');
    const degraded = await run({});
    expect(degraded.outputs['status']).toBe('degraded');
    expect(degraded.result.metrics['pqc_health_status']).toBe(0.5);
    expect(await gw.sample('pqc_health_status', group)).toBe(0.5);
    expect(await checks()).toEqual({
      pods: 1,
      deployment: 1,
      cpu: 0.5,
      memory: 1,
    });
  });

  it('pushes 0 with the reason when the cluster cannot be reached', async () => {
    const r = await run({ kubeconfig: await closedPortKubeconfig() });
    expect(r.failureKind).toBe('unreachable');
    expect(r.outputs['status']).toBe('unknown');
    const m = r.result.checks.find((c) => c.name === 'metrics');
    expect(m?.status).toBe('ok');
    expect(await gw.sample('pqc_health_status', group)).toBe(0);
    expect(await checks()).toEqual({ unreachable: 0 });
  }, 90_000);

  it('pushes 0 for a configuration error too, into the named group', async () => {
    const r = await run({
      namespace: 'staging',
      'crypto-check': 'command',
    });
    expect(r.failureKind).toBe('configuration');
    expect(
      await gw.sample('pqc_health_status', { ...group, namespace: 'staging' }),
    ).toBe(0);
    expect(
      await gw.sample('pqc_health_check_status', {
        ...group,
        namespace: 'staging',
        check: 'configuration',
      }),
    ).toBe(0);
  });

  it('a Pushgateway that cannot be reached is a warning, not a failed step', async () => {
    setCpu('300m');
    const r = await run({
      'pushgateway-url': `http://127.0.0.1:${await freePort()}`,
    });
    expect(r.failure).toBeUndefined();
    expect(r.outputs['status']).toBe('healthy');
    const m = r.result.checks.find((c) => c.name === 'metrics');
    expect(m?.status).toBe('warning');
    expect(m?.observed).toMatch(/^push to http:\/\/127\.0\.0\.1:\d+ failed: /);
    expect(r.result.status).toBe('warning');
  });
});
