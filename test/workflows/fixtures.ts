// The world the workflow tests run in: this repository as a snapshot at a
// commit (its actions, its bundle, its workflows), a simulated cluster with
// the service, its database and our least-privilege identities, and the
// kubeconfig of each identity.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { actionEntry, root } from '../helpers/bundle.js';
import {
  certificate,
  configMap,
  container,
  deployment,
  namespace,
  pod,
  secret,
} from '../helpers/kube-objects.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import type { PgServer } from '../services/postgres.js';
import type { RepoSnapshot } from './runner.js';

/** This repository's name as adopters see it. */
export const PQC_OPS = 'your-org/pqc-ops';
/** Commits of this repository in the tests (a tag v1 points at the first). */
export const V1_SHA = '1f0c9a3b5d7e2f4a6c8e0b1d3f5a7c9e2b4d6f80';
export const V2_SHA = '2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e31';

/** The namespace of the service in every test cluster. */
export const NS = 'pqc-audit';
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NS}`];

/**
 * This repository at a commit, as a checkout would see it: actions/, the
 * bundle (dist/, the committed one or $PQC_OPS_DIST, refused when stale) and
 * .github/workflows/, with `workflows` replacing or adding files there.
 */
export function pqcOpsSnapshot(
  sha: string,
  refs: string[],
  workflows: Record<string, string> = {},
): RepoSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-snapshot-'));
  cpSync(join(root, 'actions'), join(dir, 'actions'), { recursive: true });
  cpSync(join(root, '.github'), join(dir, '.github'), { recursive: true });
  symlinkSync(dirname(dirname(actionEntry('health'))), join(dir, 'dist'));
  for (const [name, text] of Object.entries(workflows))
    writeFileSync(join(dir, '.github', 'workflows', name), text);
  return { dir, sha, refs };
}

/** A repository of files (a caller's), at a commit. */
export function repoOf(
  files: Record<string, string>,
  sha: string,
  refs: string[] = ['main'],
): RepoSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-caller-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, sha, refs };
}

/** The documents of a YAML file of this repository (deploy/rbac/...). */
export function manifests(path: string): object[] {
  return parseAllDocuments(readFileSync(join(root, path), 'utf8')).map(
    (d) => d.toJSON() as object,
  );
}

/** A cert-manager Certificate that expires in `days`. */
export function expiringCertificate(name: string, days: number): object {
  const notAfter = new Date(Date.now() + days * 86_400_000)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return certificate({
    name,
    namespace: NS,
    secretName: `${name}-tls`,
    issuer: 'pqc-ca',
    dnsNames: [`${name}.pqc.example`],
    status: {
      notAfter,
      notBefore: '2026-01-01T00:00:00Z',
      revision: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
    },
  });
}

/** The identities of the workflows, each a ServiceAccount with our Roles. */
export interface Identities {
  /** deploy/rbac/readonly.yaml */
  readonly: string;
  /** deploy/rbac/backup.yaml */
  backup: string;
  /** deploy/rbac/health.yaml: what self-heal needs */
  heal: string;
  /** deploy/rbac/cert-rotate.yaml */
  certRotate: string;
  /** deploy/rbac/scale.yaml */
  scale: string;
  /** deploy/rbac/housekeeping.yaml */
  housekeeping: string;
  /** deploy/rbac/performance.yaml */
  performance: string;
  /** deploy/rbac/capacity.yaml */
  capacity: string;
  /** deploy/rbac/compliance.yaml */
  compliance: string;
  /** deploy/rbac/incident.yaml: the plan identity, and the apply one */
  incidentPlan: string;
  incident: string;
}

/**
 * A cluster with RBAC on: the service's Deployment (two ready pods with a
 * /data volume, limits for the resource check), a database pod whose
 * environment reaches the real test server, labelled ConfigMaps and Secrets,
 * `certs` and our Roles; kubeconfigs (inline YAML, as a secret holds them) of
 * each identity.
 */
export async function startServiceSim(
  pg: PgServer | undefined,
  certs: object[] = [],
): Promise<{ sim: KubeSim; kube: Identities }> {
  const sim = await startKubeSim({
    rbac: true,
    objects: [
      namespace(NS),
      secret({
        name: 'db-cred',
        namespace: NS,
        labels: { app: 'postgres' },
        stringData: { password: pg?.password ?? 'no-database' },
      }),
      configMap({
        name: 'pqc-audit-config',
        namespace: NS,
        labels: { app: 'pqc-audit' },
        data: { LOG_LEVEL: 'info' },
      }),
      secret({
        name: 'pqc-audit-api-keys',
        namespace: NS,
        labels: { app: 'pqc-audit' },
        stringData: { 'api-key': 'sim-api-key-never-in-logs' },
      }),
      pod({
        name: 'postgres-0',
        namespace: NS,
        labels: { app: 'postgres' },
        containers: [
          container('postgres', 'postgres:15', {
            env: [
              { name: 'PGHOST', value: '127.0.0.1' },
              { name: 'PGPORT', value: String(pg?.port ?? 9) },
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
      deployment({
        name: 'pqc-audit',
        namespace: NS,
        replicas: 2,
        containers: [
          container('pqc-audit', 'pqc-audit:1', {
            resources: {
              requests: { cpu: '250m', memory: '256Mi' },
              limits: { cpu: '1', memory: '512Mi' },
            },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }),
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
      ...certs,
      ...manifests('deploy/rbac/readonly.yaml'),
      ...manifests('deploy/rbac/backup.yaml'),
      ...manifests('deploy/rbac/health.yaml'),
      ...manifests('deploy/rbac/cert-rotate.yaml'),
      ...manifests('deploy/rbac/scale.yaml'),
      ...manifests('deploy/rbac/housekeeping.yaml'),
      ...manifests('deploy/rbac/performance.yaml'),
      ...manifests('deploy/rbac/capacity.yaml'),
      ...manifests('deploy/rbac/compliance.yaml'),
      ...manifests('deploy/rbac/incident.yaml'),
    ],
  });
  await sim.settle();
  const kc = (sa: string) =>
    sim.kubeconfigFor(`system:serviceaccount:${NS}:${sa}`, SA_GROUPS).yaml;
  return {
    sim,
    kube: {
      readonly: kc('pqc-ops-readonly'),
      backup: kc('pqc-ops-backup'),
      heal: kc('pqc-ops-health'),
      certRotate: kc('pqc-ops-cert-rotate'),
      scale: kc('pqc-ops-scale'),
      housekeeping: kc('pqc-ops-housekeeping'),
      performance: kc('pqc-ops-performance'),
      capacity: kc('pqc-ops-capacity'),
      compliance: kc('pqc-ops-compliance'),
      incidentPlan: kc('pqc-ops-incident-plan'),
      incident: kc('pqc-ops-incident'),
    },
  };
}

/** Requests the API server refused, as `user METHOD path`. */
export function forbidden(sim: KubeSim): string[] {
  return sim.journal
    .filter((j) => j.status === 403)
    .map((j) => `${j.user ?? '?'} ${j.method} ${j.path}`);
}

/** The text of a file, or '' when it does not exist. */
export function textOf(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
