// Health benchmarks, each against a baseline measured in the same run:
// 1. cold start of the bundled action to its first API request, against
//    `node -e 0`;
// 2. one health check over 2,000 pods with metrics (wall time and peak RSS),
//    against the same bundle checking 20 pods.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../test/kube-sim/index.js';
import { actionEnv, median, timed, workerPods } from './measure.js';
import type { BenchReport, BenchRow } from './run.js';

const root = new URL('..', import.meta.url).pathname;
const ns = 'pqc-audit';

/** The action's environment in a fresh temp dir. */
function envFor(inputs: Record<string, string>): NodeJS.ProcessEnv {
  return actionEnv(mkdtempSync(join(tmpdir(), 'bench-health-')), inputs);
}

/** A Deployment of 3 plus `pods` standalone application pods, all with metrics. */
async function cluster(pods: number): Promise<KubeSim> {
  const standalone = workerPods(pods, ns, 'pqc-audit:1', {
    limits: { cpu: '1', memory: '512Mi' },
  });
  const sim = await startKubeSim({
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      ...standalone,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'pqc-audit', namespace: ns },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'pqc-audit-web' } },
          template: {
            metadata: { labels: { app: 'pqc-audit-web' } },
            spec: {
              containers: [
                {
                  name: 'pqc-audit',
                  image: 'pqc-audit:1',
                  resources: { limits: { cpu: '1', memory: '512Mi' } },
                },
              ],
            },
          },
        },
      },
    ],
  });
  // settle() watches every object; with thousands of pods, poll readiness instead.
  const deadline = Date.now() + 120_000;
  const ready = () =>
    sim
      .list('v1', 'Pod', ns)
      .filter((p) =>
        p.status?.conditions?.some(
          (c: { type: string; status: string }) =>
            c.type === 'Ready' && c.status === 'True',
        ),
      ).length;
  while (ready() < pods + 3) {
    if (Date.now() > deadline)
      throw new Error(`only ${ready()} of ${pods + 3} pods became Ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const p of sim.list('v1', 'Pod', ns))
    sim.setPodMetrics(ns, p.metadata.name, [
      { name: 'pqc-audit', cpu: '253011429n', memory: '201326592' },
    ]);
  return sim;
}

/** Runs the benchmarks. */
export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const node = process.execPath;
  const bundle = join(root, 'dist', 'health', 'index.js');

  // 1. Cold start to the first API request.
  const small = await cluster(0);
  const base: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const firstRequest = async (extra: NodeJS.ProcessEnv): Promise<number> => {
    small.clearJournal();
    const start = Date.now();
    const env = envFor({
      kubeconfig: small.kubeconfigPath,
      'crypto-check': 'none',
    });
    await timed([node, bundle], { ...env, ...extra });
    const j = small.journal[0];
    return j ? Date.parse(j.time) - start : NaN;
  };
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await timed([node, '-e', '0'], process.env);
    base.push(performance.now() - t0);
    // Without the compile cache: the first pqc-ops step of a job.
    cold.push(await firstRequest({ NODE_DISABLE_COMPILE_CACHE: '1' }));
    // With it: later pqc-ops steps of the job, and repeated CLI runs.
    warm.push(await firstRequest({}));
  }
  const over = (xs: number[]) =>
    `+${(median(xs) - median(base)).toFixed(0)} ms`;
  rows.push({
    case: 'node -e 0 (spawn to exit), median of 10',
    ms: median(base).toFixed(0),
  });
  rows.push({
    case: 'health bundle, spawn to first API request, no compile cache, median of 10',
    ms: median(cold).toFixed(0),
    'over baseline': over(cold),
  });
  rows.push({
    case: 'health bundle, spawn to first API request, compile cache warm, median of 10',
    ms: median(warm).toFixed(0),
    'over baseline': over(warm),
  });
  await small.close();

  // 2. One health check over many pods.
  for (const n of [20, 2000]) {
    const sim = await cluster(n);
    const r = await timed(
      [node, bundle],
      envFor({ kubeconfig: sim.kubeconfigPath, 'crypto-check': 'none' }),
    );
    const lists = sim.journal.filter(
      (e) => e.path === `/api/v1/namespaces/${ns}/pods` && e.method === 'GET',
    ).length;
    rows.push({
      case: `health check, ${n} pods with metrics (exit ${r.code})`,
      ms: r.ms.toFixed(0),
      'peak RSS MiB': r.rssMiB.toFixed(0),
      'pod list pages': lists,
    });
    await sim.close();
  }
  return {
    title: 'health: cold start and scale',
    command: 'npm run bench -- health',
    rows,
  };
}
