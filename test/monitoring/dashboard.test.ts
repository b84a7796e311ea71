// Every panel of deploy/monitoring/dashboard.json, evaluated by a real
// Prometheus scraping the real Pushgateway that our procedures pushed to:
// backup, backup-verify, dr-test, health, cert-rotate, inventory and maintenance-log
// run against kube-sim and a real PostgreSQL, performance and capacity
// against a second Prometheus loaded with a week of history, compliance
// against kube-sim; then each panel query must return data, with the labels
// its legend names, and no error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as age from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVerify } from '../../src/procedures/backup-verify/procedure.js';
import { backup } from '../../src/procedures/backup/procedure.js';
import { capacity } from '../../src/procedures/capacity/procedure.js';
import { certRotate } from '../../src/procedures/cert-rotate/procedure.js';
import { compliance } from '../../src/procedures/compliance/procedure.js';
import { drTest } from '../../src/procedures/dr-test/procedure.js';
import { health } from '../../src/procedures/health/procedure.js';
import { inventory } from '../../src/procedures/inventory/procedure.js';
import { maintenanceLog } from '../../src/procedures/maintenance-log/procedure.js';
import { performance } from '../../src/procedures/performance/procedure.js';
import type { Procedure } from '../../src/procedure.js';
import { openMetrics } from '../helpers/openmetrics.js';
import { deployment } from '../helpers/kube-objects.js';
import { runProcedure } from '../helpers/procedure.js';
import { weekOfCapacity } from '../procedures/capacity/history.js';
import { weekOfHistory } from '../procedures/performance/history.js';
import { fakePip } from '../procedures/inventory/fixtures.js';
import {
  startPrometheus,
  waitForSample,
  type PrometheusServer,
} from '../services/index.js';
import {
  ALERT_RULES,
  CRYPTO_COMMAND,
  dashboardTargets,
  startPeers,
  type Peers,
} from './peers.js';

let peers: Peers;
/** The Prometheus the weekly and monthly reviews read (a week of history). */
let history: PrometheusServer;
const runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-dashboard-'));

/** One procedure of the run, in this "job" (one RUNNER_TEMP), which must not fail. */
async function step(p: Procedure, inputs: Record<string, string>) {
  const ex = await runProcedure(p, inputs, {
    ...process.env,
    RUNNER_TEMP: runnerTemp,
  });
  expect(ex.failure, `${p.name}: ${ex.logs.join('\n')}`).toBeUndefined();
  return ex;
}

beforeAll(async () => {
  peers = await startPeers([ALERT_RULES]);
  const { pg, gw, sim, app } = peers;
  const kubeconfig = sim.kubeconfigPath;
  const destination = mkdtempSync(join(tmpdir(), 'pqc-ops-dashboard-bk-'));
  const identity = await age.generateHybridIdentity();
  await step(backup, {
    'database-url': pg.url('pqc_audit'),
    kubeconfig,
    'config-selector': 'app=pqc-audit',
    'appdata-selector': 'app=pqc-audit',
    destination,
    'age-recipients': await age.identityToRecipient(identity),
    'pushgateway-url': gw.url,
  });
  await step(backupVerify, {
    destination,
    'age-identity': identity,
    'scratch-database-url': pg.url('dashboard_scratch'),
    require: 'database,config,appdata',
    'pushgateway-url': gw.url,
  });
  // The quarterly DR test, against a database Deployment of its own (the
  // restore goes through database-url into the same database).
  sim.apply(
    deployment({
      name: 'postgres',
      namespace: 'pqc-audit',
      replicas: 1,
      labels: { app: 'postgres-dr' },
      image: 'postgres:15',
    }),
  );
  await sim.settle();
  await step(drTest, {
    kubeconfig,
    destination,
    'age-identity': identity,
    'database-url': pg.url('pqc_audit'),
    'health-url': `${app.url}/health`,
    timeout: '60s',
    mode: 'auto',
    'pushgateway-url': gw.url,
  });
  await step(health, {
    kubeconfig,
    'health-url': `${app.url}/health`,
    'crypto-check': 'command',
    'crypto-command': CRYPTO_COMMAND,
    'backup-dir': destination,
    'pushgateway-url': gw.url,
  });
  await step(certRotate, { kubeconfig, 'pushgateway-url': gw.url });
  // The quarterly version review, with pip answering in the application pod.
  fakePip(sim);
  await step(inventory, {
    kubeconfig,
    'database-url': pg.url('pqc_audit'),
    'fail-on': 'never',
    'pushgateway-url': gw.url,
  });
  await reviews(kubeconfig, gw.url);
  await step(maintenanceLog, {
    'comment-on': 'none',
    environment: 'production',
    cadence: 'daily',
    'pushgateway-url': gw.url,
  });
  // A few scrapes of everything, so range functions have samples to use.
  await waitForSample(
    peers.prom,
    'count_over_time(pqc_maintenance_tasks_total[1m])',
    (v) => v >= 3,
    30_000,
  );
}, 240_000);
afterAll(async () => {
  await Promise.all([peers?.close(), history?.stop()]);
});

/** performance and capacity on a week of history, compliance on the cluster; each pushes. */
async function reviews(kubeconfig: string, pushgatewayUrl: string) {
  const now = Date.now() / 1000;
  history = await startPrometheus({
    history: openMetrics([
      ...weekOfHistory(now, 86_400).series,
      ...weekOfCapacity(now).series,
    ]),
  });
  const prometheus = { 'prometheus-url': history.url };
  const push = { 'pushgateway-url': pushgatewayUrl };
  await step(performance, {
    ...prometheus,
    ...push,
    'cluster-resources': 'false',
    'fail-on-regression': 'false',
  });
  await step(capacity, {
    ...prometheus,
    ...push,
    window: '7d',
    volumes: 'prometheus',
  });
  await step(compliance, {
    ...push,
    kubeconfig,
    'compliance-command': 'none',
    'log-lines': '0',
    'fail-below': '0',
    'fail-on': 'never',
  });
}

/** Grafana's built-in interval variables, as a 1-hour dashboard range sets them. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__range', '1h')
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s');
}

interface Series {
  metric: Record<string, string>;
}

function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(
    (m) => m[1] ?? '',
  );
}

describe('the Grafana dashboard on the real Prometheus', () => {
  const targets = dashboardTargets();

  it('has the panels of the runbook and the extensions', () => {
    const titles = new Set(targets.map((t) => t.panel));
    for (const t of [
      'System Health Score',
      'Maintenance Activities',
      'Health checks (last run)',
      'Last backup',
      'Backup duration',
      'Last verification',
      'Earliest certificate expiry',
      'Quantum-vulnerable certificates',
      'Change against the baseline',
      'Days until warn-at',
      'Compliance score',
      'NIST SP 800-53 controls',
    ])
      expect(titles.has(t), t).toBe(true);
    expect(targets.length).toBeGreaterThanOrEqual(36);
  });

  it.each(targets.map((t) => [`${t.panel}: ${t.expr}`, t] as const))(
    '%s returns data',
    async (_name, t) => {
      const expr = substitute(t.expr);
      expect(expr).not.toContain('$');
      const now = Date.now() / 1000;
      const instant = (await peers.prom.query(expr)) as {
        resultType: string;
        result: Series[];
      };
      expect(instant.resultType).toBe('vector');
      expect(instant.result.length, expr).toBeGreaterThan(0);
      const range = (await peers.prom.queryRange(expr, now - 30, now, 1)) as {
        result: Series[];
      };
      expect(range.result.length, expr).toBeGreaterThan(0);
      for (const label of legendLabels(t.legendFormat))
        for (const s of instant.result)
          expect(s.metric[label], `${label} of ${expr}`).toBeTruthy();
    },
  );

  it("reads the health action's verdict as the Health Score", async () => {
    const t = targets.find((x) => x.panel === 'System Health Score');
    const r = (await peers.prom.query(t?.expr ?? '')) as {
      result: { metric: Record<string, string>; value: [number, string] }[];
    };
    expect(r.result.map((s) => [s.metric, s.value[1]])).toEqual([
      [{ namespace: 'pqc-audit', deployment: 'pqc-audit' }, '1'],
    ]);
  });
});
