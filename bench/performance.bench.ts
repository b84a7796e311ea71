// The weekly performance review against a real Prometheus holding a week of
// history (samples every minute), against the same HTTP API requests made by
// curl and by `promtool query range`, in the same run:
// 1. the runbook's query (one series), then a query of 50 series (about
//    half a million points in one answer);
// 2. the requests are the review's own: a first run goes through a
//    recording proxy, and curl replays exactly what it asked, in one process.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, openMetrics } from '../test/helpers/openmetrics.js';
import {
  startPrometheus,
  type PrometheusServer,
} from '../test/services/index.js';
import { actionEnv, medianOf, timed } from './measure.js';
import type { BenchReport, BenchRow } from './run.js';

const root = new URL('..', import.meta.url).pathname;
const RUNS = 5;
const PODS = 50;
const STEP = 60;
const DAY = 86_400;

/** A week and ten minutes ahead of the runbook's p95 and of a per-pod latency. */
function history(now: number): string {
  const end = Math.floor(now / STEP) * STEP + 10 * STEP;
  const span = 7 * DAY + 20 * STEP;
  const cut = end - 10 * STEP - DAY;
  const wave = (t: number, k: number) =>
    (t > cut ? 1.1 : 1) * (1 + 0.05 * Math.sin(t / 3600 + k));
  return openMetrics([
    {
      name: 'pqc:scan_duration_p95_5m',
      points: generate(end, span, STEP, (t) => 1.2 * wave(t, 0)),
    },
    ...Array.from({ length: PODS }, (_, k) => ({
      name: 'bench_request_latency_seconds',
      labels: { pod: `pqc-audit-${k}` },
      points: generate(end, span, STEP, (t) => 0.2 * wave(t, k)),
    })),
  ]);
}

/** A proxy in front of Prometheus that records every request's path and query. */
async function recorder(
  target: URL,
): Promise<{ server: Server; url: string; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        headers: req.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, paths };
}

interface Case {
  name: string;
  query: string;
}

/** The review's bundle, `runs` times; wall ms and peak RSS medians, and its requests. */
async function review(
  prom: PrometheusServer,
  c: Case,
): Promise<{ ms: number; rss: number; code: number; paths: string[] }> {
  const node = process.execPath;
  const bundle = join(root, 'dist', 'performance', 'index.js');
  const inputs = (url: string) => ({
    'prometheus-url': url,
    query: c.query,
    'cluster-resources': 'false',
    'fail-on-regression': 'false',
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-performance-'));
  try {
    const rec = await recorder(new URL(prom.url));
    await timed([node, bundle], actionEnv(dir, inputs(rec.url)));
    rec.server.close();
    const r = await medianOf(
      [node, bundle],
      () => actionEnv(dir, inputs(prom.url)),
      RUNS,
    );
    return {
      ms: r.ms,
      rss: r.rss,
      code: r.codes.at(-1) ?? -1,
      paths: rec.paths,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** curl fetching the same requests, one process, bodies discarded; median ms and RSS. */
async function curlSame(
  prom: PrometheusServer,
  paths: string[],
): Promise<{ ms: number; rss: number; bytes: number }> {
  const argv = ['curl', '-sS', '--fail', '-w', '%{size_download}\\n'];
  paths.forEach((p, i) => {
    if (i > 0)
      argv.push('--next', '-sS', '--fail', '-w', '%{size_download}\\n');
    argv.push('-o', '/dev/null', `${prom.url}${p}`);
  });
  const r = await medianOf(argv, () => process.env, RUNS);
  const failed = r.codes.find((c) => c !== 0);
  if (failed !== undefined) throw new Error(`curl exited ${failed}`);
  const bytes = r.out
    .trim()
    .split('\n')
    .reduce((a, x) => a + Number(x), 0);
  return { ms: r.ms, rss: r.rss, bytes };
}

/** `promtool query range` of the case's query over the same week at the same step. */
async function promtoolSame(
  prom: PrometheusServer,
  paths: string[],
): Promise<{ ms: number; rss: number }> {
  const first = paths.find((p) => p.startsWith('/api/v1/query_range'));
  const q = new URLSearchParams(first?.split('?')[1] ?? '');
  const argv = [
    'promtool',
    'query',
    'range',
    `--start=${q.get('start')}`,
    `--end=${q.get('end')}`,
    `--step=${q.get('step')}s`,
    '--format=json',
    prom.url,
    q.get('query') ?? '',
  ];
  const r = await medianOf(argv, () => process.env, RUNS);
  const failed = r.codes.find((c) => c !== 0);
  if (failed !== undefined) throw new Error(`promtool exited ${failed}`);
  return { ms: r.ms, rss: r.rss };
}

/** Runs the benchmarks. */
export async function run(): Promise<BenchReport> {
  const prom = await startPrometheus({ history: history(Date.now() / 1000) });
  const rows: BenchRow[] = [];
  try {
    const cases: Case[] = [
      {
        name: "the runbook's query, 1 series",
        query: 'pqc:scan_duration_p95_5m',
      },
      {
        name: `${PODS} series`,
        query: `latency: bench_request_latency_seconds`,
      },
    ];
    for (const c of cases) {
      const r = await review(prom, c);
      const ranges = r.paths.filter((p) => p.startsWith('/api/v1/query_range'));
      const curl = await curlSame(prom, r.paths);
      const pt = await promtoolSame(prom, r.paths);
      const vs = (ms: number) => (ms / curl.ms).toFixed(2);
      rows.push(
        {
          case: `curl, the review's ${r.paths.length} requests (${ranges.length} query_range), ${c.name}`,
          ms: curl.ms.toFixed(0),
          'vs curl': '1.00',
          'peak RSS MiB': curl.rss.toFixed(0),
          'bytes read': curl.bytes,
        },
        {
          case: `promtool query range, the compared query only, ${c.name}`,
          ms: pt.ms.toFixed(0),
          'vs curl': vs(pt.ms),
          'peak RSS MiB': pt.rss.toFixed(0),
        },
        {
          case: `pqc-ops performance bundle, ${c.name} (exit ${r.code})`,
          ms: r.ms.toFixed(0),
          'vs curl': vs(r.ms),
          'peak RSS MiB': r.rss.toFixed(0),
        },
      );
    }
  } finally {
    await prom.stop();
  }
  return {
    title: 'performance: the weekly review against a week of history',
    command: 'npm run bench -- performance',
    rows,
    notes: [
      `Medians of ${RUNS} runs. History: one sample a minute for 7 days of the runbook's p95 and of ${PODS} per-pod series, loaded with promtool tsdb create-blocks-from openmetrics into a real Prometheus on loopback. The review also asks for node and pod utilisation over the window (4 queries with no data here); curl replays every request the review made, recorded through a proxy on a first run.`,
    ],
  };
}
