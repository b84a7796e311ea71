// The cluster the inventory tests read: the application (tagged image, its
// pods' digests reported by kube-sim), a database pod pinned by digest whose
// environment reaches the real test PostgreSQL, cert-manager's controller
// Deployment as its chart labels it, and a pip that answers as pip does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  container,
  deployment,
  namespace,
  pod,
  secret,
} from '../../helpers/kube-objects.js';
import type { KubeSim } from '../../kube-sim/index.js';
import type { PgServer } from '../../services/index.js';

export const NS = 'pqc-audit';
export const APP_IMAGE = 'ghcr.io/example/pqc-audit:1.5.0';
export const PG_DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const PG_IMAGE = `postgres:15@${PG_DIGEST}`;
export const CM_IMAGE = 'quay.io/jetstack/cert-manager-controller:v1.16.2';

/** What the fake pip prints: pip 24's --outdated --format=json. */
export const PIP_JSON = [
  {
    name: 'cryptography',
    version: '41.0.7',
    latest_version: '44.0.1',
    latest_filetype: 'wheel',
  },
  {
    name: 'requests',
    version: '2.31.0',
    latest_version: '2.32.3',
    latest_filetype: 'wheel',
  },
];

/** The objects of the test cluster. */
export function clusterObjects(pg: PgServer | undefined): object[] {
  return [
    namespace(NS),
    deployment({
      name: 'pqc-audit',
      namespace: NS,
      replicas: 2,
      containers: [container('pqc-audit', APP_IMAGE)],
    }),
    secret({
      name: 'db-cred',
      namespace: NS,
      stringData: { password: pg?.password ?? 'none' },
    }),
    pod({
      name: 'postgres-0',
      namespace: NS,
      labels: { app: 'postgres' },
      containers: [
        container('postgres', PG_IMAGE, {
          env: [
            { name: 'PGHOST', value: '127.0.0.1' },
            { name: 'PGPORT', value: String(pg?.port ?? 9) },
            {
              name: 'PGPASSWORD',
              valueFrom: { secretKeyRef: { name: 'db-cred', key: 'password' } },
            },
          ],
        }),
      ],
    }),
    namespace('cert-manager'),
    deployment({
      name: 'cert-manager',
      namespace: 'cert-manager',
      replicas: 1,
      labels: { 'app.kubernetes.io/name': 'cert-manager' },
      deploymentLabels: {
        'app.kubernetes.io/name': 'cert-manager',
        'app.kubernetes.io/version': 'v1.16.2',
      },
      containers: [container('cert-manager-controller', CM_IMAGE)],
    }),
  ];
}

/** pip in the application pods answers with PIP_JSON; records each argv. */
export function fakePip(sim: KubeSim, calls: string[][] = []): string[][] {
  sim.addExecHook({
    namespace: NS,
    command: 'pip',
    run: ({ argv, stdout }) => {
      calls.push(argv);
      stdout(JSON.stringify(PIP_JSON) + '\n');
      return 0;
    },
  });
  return calls;
}

/** YYYY-MM-DD, `days` from now (negative: ago). */
export function dayFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Writes a policy file in a new temp dir; returns its path and the dir. */
export function writePolicy(text: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-policy-'));
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, text);
  return { path, dir };
}
