import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startPrometheus,
  startPushgateway,
  waitForSample,
  type PrometheusServer,
  type Pushgateway,
} from './prometheus.js';

const RULES = `groups:
  - name: backup
    rules:
      - record: backup:age_seconds
        expr: time() - backup_last_success_timestamp_seconds
`;

describe('Pushgateway and Prometheus', () => {
  let gw: Pushgateway;
  let prom: PrometheusServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pqc-prom-test-'));
    const rules = join(dir, 'rules.yml');
    await writeFile(rules, RULES);
    gw = await startPushgateway();
    // Prometheus scrapes new targets only ~5 s after start: start it early.
    prom = await startPrometheus({
      scrapeTargets: [gw.target],
      ruleFiles: [rules],
    });
  });

  afterAll(async () => {
    await Promise.allSettled([gw?.stop(), prom?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const push = async (method: string, path: string, body = '') => {
    const res = await fetch(`${gw.url}/metrics/${path}`, { method, body });
    expect(res.status).toBeLessThan(300);
  };

  it('reads a PUT group back through sample()', async () => {
    await push(
      'PUT',
      'job/backup/schedule/daily',
      '# TYPE backup_last_success_timestamp_seconds gauge\n' +
        'backup_last_success_timestamp_seconds 1700000000\n' +
        'backup_size_bytes{db="app"} 2.5e6\n',
    );
    const labels = { job: 'backup', schedule: 'daily' };
    expect(
      await gw.sample('backup_last_success_timestamp_seconds', labels),
    ).toBe(1.7e9);
    expect(await gw.sample('backup_size_bytes', { db: 'app' })).toBe(2.5e6);
    expect(await gw.sample('push_time_seconds', labels)).toBeGreaterThan(0);
    expect(
      await gw.sample('backup_size_bytes', { db: 'other' }),
    ).toBeUndefined();
  });

  it('replaces a group on PUT and removes it on DELETE', async () => {
    await push('PUT', 'job/tmp', 'tmp_a 1\ntmp_b 2\n');
    await push('PUT', 'job/tmp', 'tmp_a 3\n');
    expect(await gw.sample('tmp_a', { job: 'tmp' })).toBe(3);
    expect(await gw.sample('tmp_b', { job: 'tmp' })).toBeUndefined();
    await push('DELETE', 'job/tmp');
    expect(await gw.sample('tmp_a')).toBeUndefined();
  });

  it('is scraped by Prometheus with the pushed labels kept', async () => {
    const found = await waitForSample(
      prom,
      'backup_last_success_timestamp_seconds',
      (v) => v === 1.7e9,
      20_000,
    );
    // honor_labels: the pushed job wins over the scrape job "pushgateway".
    expect(found.metric).toMatchObject({ job: 'backup', schedule: 'daily' });
    const up = (await prom.query('up{job="pushgateway"}')) as {
      resultType: string;
      result: unknown[];
    };
    expect(up.resultType).toBe('vector');
    expect(up.result).toHaveLength(1);
  });

  it('evaluates the rule files', async () => {
    const age = await waitForSample(
      prom,
      'backup:age_seconds',
      (v) => v > 0,
      20_000,
    );
    expect(age.value).toBeGreaterThan(Date.now() / 1000 - 1.7e9 - 60);
  });

  it('answers range queries', async () => {
    const end = Date.now() / 1000;
    const data = await prom.queryRange('up', end - 30, end, 1);
    expect(data.resultType).toBe('matrix');
    expect(data.result[0].values.length).toBeGreaterThan(0);
  });

  it('rejects a broken rule file with promtool output', async () => {
    const bad = join(dir, 'bad.yml');
    await writeFile(
      bad,
      'groups:\n  - name: x\n    rules:\n      - record: y\n        expr: rate(\n',
    );
    await expect(startPrometheus({ ruleFiles: [bad] })).rejects.toThrow(
      /promtool check config/,
    );
  });
});
