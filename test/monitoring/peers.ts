// The peers of the monitoring tests: kube-sim with the PQC audit Deployment
// (the post-quantum self-test mounted, an app data volume), a "postgres pod"
// whose exec reaches the real test database, labelled ConfigMaps and Secrets
// and cert-manager Certificates; a real PostgreSQL, Pushgateway and
// Prometheus scraping it with deploy/monitoring/alerts.yaml loaded.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { root } from '../helpers/bundle.js';
import {
  certificate,
  configMap,
  container,
  deployment,
  namespace,
  pod,
  secret,
} from '../helpers/kube-objects.js';
import { seedDatabase } from '../helpers/procedure.js';
import { SIM_SECRET_VALUE } from '../helpers/sim-fixtures.js';
import {
  startHttpEndpoint,
  startPostgres,
  startPrometheus,
  startPushgateway,
  type HttpEndpoint,
  type PgServer,
  type PrometheusServer,
  type Pushgateway,
} from '../services/index.js';

export const ns = 'pqc-audit';
/** The rule file the tests load, as shipped. */
export const ALERT_RULES = join(root, 'deploy', 'monitoring', 'alerts.yaml');
export const DASHBOARD = join(root, 'deploy', 'monitoring', 'dashboard.json');

/** One query of a dashboard panel. */
export interface DashboardTarget {
  panel: string;
  type: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}

interface Panel {
  title: string;
  type: string;
  panels?: Panel[];
  targets?: { expr: string; legendFormat?: string; instant?: boolean }[];
}

/** Every query of the dashboard, the panels inside collapsed rows included. */
export function dashboardTargets(): DashboardTarget[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return all.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, type: p.type, ...t })),
  );
}

/** The self-test the sandbox and the health tests run in the pods. */
export const CRYPTO_COMMAND = JSON.stringify([
  'node',
  '/opt/selftest/oqs-selftest.mjs',
  '/opt/liboqs-js/src/index.js',
  'ML-KEM-768',
  'ML-DSA-65',
]);

const DAY = 86_400_000;
const stamp = (ms: number) =>
  new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** An issued Certificate whose notAfter is `days` from now. */
function issued(name: string, days: number, algorithm: 'RSA' | 'ECDSA') {
  const notAfter = stamp(Date.now() + days * DAY);
  return certificate({
    name,
    namespace: ns,
    secretName: `${name}-tls`,
    issuer: 'pqc-ca',
    dnsNames: [`${name}.pqc.example`],
    privateKey: { algorithm },
    status: {
      notBefore: stamp(Date.now() - 30 * DAY),
      notAfter,
      renewalTime: notAfter,
      revision: 2,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
      ],
    },
  });
}

function objects(pg: PgServer): object[] {
  return [
    namespace(ns),
    secret({
      name: 'db-cred',
      namespace: ns,
      labels: { app: 'postgres' },
      stringData: { password: pg.password },
    }),
    configMap({
      name: 'pqc-audit-config',
      namespace: ns,
      labels: { app: 'pqc-audit' },
      data: { LOG_LEVEL: 'info' },
    }),
    secret({
      name: 'pqc-audit-api-keys',
      namespace: ns,
      labels: { app: 'pqc-audit' },
      stringData: { 'api-key': SIM_SECRET_VALUE },
    }),
    pod({
      name: 'postgres-0',
      namespace: ns,
      labels: { app: 'postgres' },
      containers: [
        container('postgres', 'postgres:15', {
          env: [
            { name: 'PGHOST', value: '127.0.0.1' },
            { name: 'PGPORT', value: String(pg.port) },
            {
              name: 'PGPASSWORD',
              valueFrom: { secretKeyRef: { name: 'db-cred', key: 'password' } },
            },
          ],
        }),
      ],
    }),
    deployment({
      name: 'pqc-audit',
      namespace: ns,
      deploymentLabels: { app: 'pqc-audit' },
      replicas: 2,
      behavior: 'ready',
      containers: [
        container('pqc-audit', 'ghcr.io/pqc-ops/pqc-audit:1.4.2', {
          resources: {
            requests: { cpu: '250m', memory: '256Mi' },
            limits: { cpu: '1', memory: '512Mi' },
          },
          volumeMounts: [
            { name: 'selftest', mountPath: '/opt/selftest', readOnly: true },
            { name: 'liboqs', mountPath: '/opt/liboqs-js', readOnly: true },
            { name: 'data', mountPath: '/data' },
          ],
        }),
      ],
      volumes: [
        {
          name: 'selftest',
          hostPath: { path: join(root, 'test', 'fixtures') },
        },
        {
          name: 'liboqs',
          hostPath: { path: join(root, 'node_modules', '@oqs', 'liboqs-js') },
        },
        { name: 'data', emptyDir: {} },
      ],
    }),
    issued('api', 60, 'RSA'),
    issued('portal', 200, 'ECDSA'),
  ];
}

/** The simulated cluster, settled, with pod metrics under the thresholds. */
export async function startMaintenanceSim(pg: PgServer): Promise<KubeSim> {
  const sim = await startKubeSim({ objects: objects(pg) });
  await sim.settle();
  for (const p of sim.list('v1', 'Pod', ns)) {
    const c = p.spec.containers[0].name;
    sim.setPodMetrics(ns, p.metadata.name, [
      { name: c, cpu: '180m', memory: '210Mi' },
    ]);
  }
  const app = sim
    .list('v1', 'Pod', ns)
    .find((p) => p.metadata.labels?.['app'] === 'pqc-audit');
  const data = join(sim.podRoot(ns, app.metadata.name), 'data');
  mkdirSync(join(data, 'reports'), { recursive: true });
  writeFileSync(join(data, 'reports', 'scan-1.json'), '{"hosts": 37}\n');
  return sim;
}

/** Everything the monitoring tests run against. */
export interface Peers {
  pg: PgServer;
  gw: Pushgateway;
  prom: PrometheusServer;
  app: HttpEndpoint;
  sim: KubeSim;
  close(): Promise<void>;
}

/**
 * Starts every peer. Prometheus starts first and scrapes the Pushgateway
 * every second (it picks up a new target only seconds after it starts).
 */
export async function startPeers(ruleFiles: string[]): Promise<Peers> {
  const [pg, gw, app] = await Promise.all([
    startPostgres(),
    startPushgateway(),
    startHttpEndpoint(),
  ]);
  const prom = await startPrometheus({
    scrapeTargets: [gw.target],
    ruleFiles,
    scrapeIntervalSeconds: 1,
  });
  await seedDatabase(pg, 'pqc_audit');
  const sim = await startMaintenanceSim(pg);
  app.respond('/health', { status: 200, body: '{"status":"ok"}' });
  return {
    pg,
    gw,
    prom,
    app,
    sim,
    async close() {
      await Promise.allSettled([
        sim.close(),
        pg.destroy(),
        gw.stop(),
        prom.stop(),
        app.close(),
      ]);
    },
  };
}

/** One alert as `GET /api/v1/alerts` lists it. */
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** The alerts Prometheus holds now (pending and firing). */
export async function alertsOf(prom: PrometheusServer): Promise<ApiAlert[]> {
  const res = await fetch(`${prom.url}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: ApiAlert[] } };
  return body.data.alerts;
}

/** Polls until `pick` finds an alert, or fails with every alert seen last. */
export async function waitForAlert(
  prom: PrometheusServer,
  pick: (a: ApiAlert) => boolean,
  timeoutMs = 30_000,
): Promise<ApiAlert> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await alertsOf(prom);
    const found = last.find(pick);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(
        `no such alert after ${timeoutMs} ms; alerts: ${JSON.stringify(last.map((a) => [a.labels, a.state]))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
