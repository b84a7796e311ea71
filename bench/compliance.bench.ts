// The monthly compliance audit over many pods, against kubectl reading the
// same objects from the same kube-sim, in the same run:
// 1. `kubectl get pods -o json` (the pods alone);
// 2. `kubectl get` of every kind the audit lists (Deployments, StatefulSets,
//    DaemonSets, CronJobs, Jobs, Pods, ServiceAccounts, NetworkPolicies);
// 3. the compliance bundle (workload rules on every pod, default-deny
//    coverage, five SubjectAccessReviews), without the application's own
//    check and logs, which would measure the application.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../test/kube-sim/index.js';
import { actionEnv, medianOf, workerPods } from './measure.js';
import type { BenchReport, BenchRow } from './run.js';

const root = new URL('..', import.meta.url).pathname;
const ns = 'pqc-audit';
const RUNS = 3;

/** `pods` standalone application pods (a tag, no probes, no securityContext) and a default-deny policy. */
async function cluster(pods: number): Promise<KubeSim> {
  return startKubeSim({
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
      ...workerPods(pods, ns, 'ghcr.io/pqc-ops/pqc-audit:1.4.2', {
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { cpu: '1', memory: '512Mi' },
      }),
    ],
  });
}

/** Runs the benchmarks. */
export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const node = process.execPath;
  const bundle = join(root, 'dist', 'compliance', 'index.js');
  for (const n of [20, 2000]) {
    const sim = await cluster(n);
    const dir = mkdtempSync(join(tmpdir(), 'bench-compliance-'));
    try {
      const kubectl = (what: string) => [
        'kubectl',
        `--kubeconfig=${sim.kubeconfigPath}`,
        '-n',
        ns,
        'get',
        what,
        '-o',
        'json',
      ];
      const quiet = () => ({ ...process.env, KUBECONFIG: '' });
      const pods = await medianOf(kubectl('pods'), quiet, RUNS);
      const all = await medianOf(
        kubectl(
          'deployments,statefulsets,daemonsets,cronjobs,jobs,pods,serviceaccounts,networkpolicies',
        ),
        quiet,
        RUNS,
      );
      const last = (r: { codes: number[] }) => r.codes.at(-1) ?? -1;
      if (last(pods) !== 0 || last(all) !== 0)
        throw new Error(`kubectl exited ${last(pods)}/${last(all)}`);
      const audit = await medianOf(
        [node, bundle],
        () =>
          actionEnv(dir, {
            kubeconfig: sim.kubeconfigPath,
            'compliance-command': 'none',
            'log-lines': '0',
            'fail-on': 'never',
            'fail-below': '0',
          }),
        RUNS,
      );
      const findings = /^findings<<\S+\n(\d+)$/m.exec(
        readFileSync(join(dir, 'out'), 'utf8'),
      );
      const vs = (ms: number) => (ms / pods.ms).toFixed(2);
      rows.push(
        {
          case: `kubectl get pods -o json, ${n} pods`,
          ms: pods.ms.toFixed(0),
          'vs kubectl get pods': '1.00',
          'peak RSS MiB': pods.rss.toFixed(0),
        },
        {
          case: `kubectl get (the 8 kinds the audit lists) -o json, ${n} pods`,
          ms: all.ms.toFixed(0),
          'vs kubectl get pods': vs(all.ms),
          'peak RSS MiB': all.rss.toFixed(0),
        },
        {
          case: `pqc-ops compliance bundle, ${n} pods (exit ${last(audit)})`,
          ms: audit.ms.toFixed(0),
          'vs kubectl get pods': vs(audit.ms),
          'peak RSS MiB': audit.rss.toFixed(0),
          findings: findings?.[1] ?? '',
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sim.close();
    }
  }
  return {
    title: 'compliance: the monthly audit over many pods',
    command: 'npm run bench -- compliance',
    rows,
    notes: [
      `Medians of ${RUNS} runs; kube-sim in the benchmark's process plays the API server for both; peak RSS from GNU time -f %M. Every pod is a standalone workload, so every pod is evaluated against every rule (the heavier case: pods of a Deployment are evaluated once, through the Deployment).`,
    ],
  };
}
