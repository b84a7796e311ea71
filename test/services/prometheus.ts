import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  spawnDaemon,
  tempDirCleanup,
  waitUntil,
  type Daemon,
} from './daemon.js';
import {
  parseExposition,
  parseValue,
  type ExpositionSample,
} from './exposition.js';
import { freePort } from './ports.js';

/** A Pushgateway on 127.0.0.1 with a temp persistence file. */
export interface Pushgateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `host:port`, for a Prometheus scrape target. */
  target: string;
  /** The text of `GET /metrics`. */
  metrics(): Promise<string>;
  /** Every sample of `GET /metrics`, parsed. */
  samples(): Promise<ExpositionSample[]>;
  /**
   * Value of the first sample named `name` whose labels include `labels`
   * (extra labels on the sample are allowed); undefined when none matches.
   */
  sample(
    name: string,
    labels?: Record<string, string>,
  ): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Options for {@link startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` targets scraped by the `pushgateway` job (honor_labels). */
  scrapeTargets?: string[];
  /** Rule files (absolute paths) loaded by the server. */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval; 1 s when omitted. */
  scrapeIntervalSeconds?: number;
  /**
   * History to load before the server starts: OpenMetrics text (ending in
   * `# EOF`, timestamps in seconds), turned into TSDB blocks by `promtool
   * tsdb create-blocks-from openmetrics`, as one backfills a real server.
   * Retention is then a year, so old samples are not deleted at start.
   */
  history?: string;
}

/** One series of an instant-query vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * The `data` member of a Prometheus API answer: `{ resultType, result }`.
 * Left untyped on purpose: tests index into vectors, matrices and scalars
 * without narrowing a union first.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type PromApiData = any;

/** A Prometheus server on 127.0.0.1 with storage in a temp dir. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * `GET /api/v1/query`; resolves with the response's `data` member
   * (`{ resultType, result }`), rejects on an error status.
   */
  query(expr: string): Promise<PromApiData>;
  /** `GET /api/v1/query_range` (times in Unix seconds, step in seconds); resolves with `data`. */
  queryRange(
    expr: string,
    start: number,
    end: number,
    step: number,
  ): Promise<PromApiData>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

async function launch(
  name: string,
  command: string,
  args: (port: number) => string[],
  cwd: string,
): Promise<{ daemon: Daemon; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const daemon = spawnDaemon(command, args(port), { name, cwd });
    try {
      await waitUntil(
        async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok,
        READY_TIMEOUT_MS,
        `${name} on port ${port}`,
        daemon,
      );
      return { daemon, port };
    } catch (e) {
      await daemon.stop('SIGKILL');
      // Another process may have taken the port between freePort and bind.
      if (!/address already in use/i.test(daemon.output()) || attempt >= 3) {
        throw e;
      }
    }
  }
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return text;
}

/**
 * Starts `prometheus-pushgateway` on a free 127.0.0.1 port (admin API on, so
 * `PUT /api/v1/admin/wipe` clears it) and waits for `/-/ready`.
 */
export async function startPushgateway(): Promise<Pushgateway> {
  const dir = await mkdtemp(join(tmpdir(), 'pqc-pushgw-'));
  const removeDir = tempDirCleanup(dir);
  const { daemon, port } = await launch(
    'pushgateway',
    process.env['PUSHGATEWAY_BIN'] ?? 'prometheus-pushgateway',
    (p) => [
      `--web.listen-address=127.0.0.1:${p}`,
      `--persistence.file=${join(dir, 'metrics.store')}`,
      '--persistence.interval=1s',
      '--web.enable-admin-api',
      '--log.level=warn',
    ],
    dir,
  ).catch((e: unknown) => {
    removeDir();
    throw e;
  });
  const url = `http://127.0.0.1:${port}`;
  const gateway: Pushgateway = {
    url,
    target: `127.0.0.1:${port}`,
    metrics: () => getText(`${url}/metrics`),
    samples: async () => parseExposition(await gateway.metrics()),
    async sample(name, labels = {}) {
      const found = (await gateway.samples()).find(
        (s) =>
          s.name === name &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      return found?.value;
    },
    async stop() {
      await daemon.stop();
      removeDir();
    },
  };
  return gateway;
}

function configYaml(opts: PrometheusOptions): string {
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  // JSON is valid YAML, which spares a YAML dependency and any quoting issue.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: [
      {
        job_name: 'pushgateway',
        honor_labels: true,
        scrape_interval: interval,
        static_configs: [{ targets: opts.scrapeTargets ?? [] }],
      },
    ],
  };
  return JSON.stringify(config, null, 2);
}

/** Turns OpenMetrics text into TSDB blocks in `dataDir` with promtool. */
function createBlocks(file: string, dataDir: string): Promise<void> {
  const promtool = process.env['PROMTOOL_BIN'] ?? 'promtool';
  return new Promise((resolve, reject) => {
    execFile(
      promtool,
      ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dataDir],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`promtool tsdb create-blocks-from: ${stdout}${stderr}`),
          );
        else resolve();
      },
    );
  });
}

function checkConfig(file: string): Promise<void> {
  const promtool = process.env['PROMTOOL_BIN'] ?? 'promtool';
  return new Promise((resolve, reject) => {
    execFile(promtool, ['check', 'config', file], (err, stdout, stderr) => {
      if (err) reject(new Error(`promtool check config: ${stdout}${stderr}`));
      else resolve();
    });
  });
}

async function apiGet(
  base: string,
  path: string,
  params: Record<string, string>,
): Promise<PromApiData> {
  const url = `${base}${path}?${new URLSearchParams(params).toString()}`;
  const res = await fetch(url);
  const body = (await res.json()) as {
    status: string;
    data?: unknown;
    error?: string;
  };
  if (body.status !== 'success') {
    throw new Error(
      `GET ${url}: ${res.status} ${body.error ?? JSON.stringify(body)}`,
    );
  }
  return body.data;
}

/**
 * Starts `prometheus` on a free 127.0.0.1 port with storage in a temp dir, a
 * `pushgateway` scrape job (`honor_labels: true`) over `scrapeTargets`, and
 * the given rule files; waits for `/-/ready`. `promtool check config` runs
 * first so a bad rule file fails with promtool's message.
 */
export async function startPrometheus(
  opts: PrometheusOptions = {},
): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pqc-prom-'));
  const removeDir = tempDirCleanup(dir);
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configYaml(opts));
  await checkConfig(configFile).catch((e: unknown) => {
    removeDir();
    throw e;
  });
  if (opts.history !== undefined) {
    const file = join(dir, 'history.om.txt');
    await writeFile(file, opts.history);
    await createBlocks(file, join(dir, 'data')).catch((e: unknown) => {
      removeDir();
      throw e;
    });
  }
  const { daemon, port } = await launch(
    'prometheus',
    process.env['PROMETHEUS_BIN'] ?? 'prometheus',
    (p) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${p}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=365d',
      '--log.level=warn',
    ],
    dir,
  ).catch((e: unknown) => {
    removeDir();
    throw e;
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    query: (expr) => apiGet(url, '/api/v1/query', { query: expr }),
    queryRange: (expr, start, end, step) =>
      apiGet(url, '/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      }),
    async stop() {
      await daemon.stop();
      removeDir();
    },
  };
}

/**
 * Polls `prom.query(expr)` until one series (or the scalar) satisfies
 * `predicate`, and resolves with it; rejects after `timeoutMs` with the last
 * result seen. Typical use: wait until Prometheus has scraped a pushed metric.
 */
export async function waitForSample(
  prom: PrometheusServer,
  expr: string,
  predicate: (value: number, sample: PromSample) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<PromSample> {
  let found: PromSample | undefined;
  let last = 'nothing';
  await waitUntil(
    async () => {
      const data = (await prom.query(expr)) as {
        resultType: string;
        result: unknown;
      };
      last = JSON.stringify(data.result);
      const series: PromSample[] = [];
      if (data.resultType === 'vector') {
        for (const s of data.result as {
          metric: Record<string, string>;
          value: [number, string];
        }[]) {
          series.push({ metric: s.metric, value: parseValue(s.value[1]) });
        }
      } else if (data.resultType === 'scalar') {
        const [, v] = data.result as [number, string];
        series.push({ metric: {}, value: parseValue(v) });
      }
      found = series.find((s) => predicate(s.value, s));
      return found !== undefined;
    },
    timeoutMs,
    `waitForSample(${expr})`,
  ).catch((e: unknown) => {
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}; last result: ${last}`,
    );
  });
  return found!;
}
