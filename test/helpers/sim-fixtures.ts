import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import type { PgServer } from '../services/postgres.js';
import {
  configMap,
  container,
  namespace,
  pod,
  secret,
} from './kube-objects.js';

/** The secret values the sim's namespace holds, for leak checks. */
export const SIM_SECRET_VALUE = 'sim-api-key-Zq9-never-in-logs';

/**
 * A namespace with a "postgres pod" whose env reaches the real test server,
 * an application pod with an emptyDir /data, and labelled ConfigMaps/Secrets.
 */
export async function startBackupSim(
  pg: PgServer,
  ns = 'pqc-audit',
): Promise<KubeSim> {
  const sim = await startKubeSim({
    objects: [
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
        data: { LOG_LEVEL: 'info', 'note.txt': 'Ünïcödé ✓' },
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
                valueFrom: {
                  secretKeyRef: { name: 'db-cred', key: 'password' },
                },
              },
            ],
          }),
        ],
      }),
      pod({
        name: 'pqc-audit-0',
        namespace: ns,
        labels: { app: 'pqc-audit' },
        containers: [
          container('pqc-audit', 'pqc-audit:1', {
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }),
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
    ],
  });
  await sim.settle();
  return sim;
}

/** Writes app data files into the application pod's /data. */
export function writeAppData(
  sim: KubeSim,
  files: Record<string, string>,
  ns = 'pqc-audit',
): string {
  const root = join(sim.podRoot(ns, 'pqc-audit-0'), 'data');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/**
 * The database's Secret (`db-cred`, the test server's password) and a
 * "postgres" container whose environment reaches the test server, so exec in
 * its pod runs the real client tools against it.
 */
export function postgresObjects(
  pg: PgServer,
  ns: string,
): { secret: object; container: ReturnType<typeof container> } {
  return {
    secret: secret({
      name: 'db-cred',
      namespace: ns,
      labels: { app: 'postgres' },
      stringData: { password: pg.password },
    }),
    container: container('postgres', 'postgres:15', {
      env: [
        { name: 'PGHOST', value: '127.0.0.1' },
        { name: 'PGPORT', value: String(pg.port) },
        {
          name: 'PGPASSWORD',
          valueFrom: { secretKeyRef: { name: 'db-cred', key: 'password' } },
        },
      ],
    }),
  };
}
