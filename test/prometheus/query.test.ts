import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push } from '../../src/prometheus/pushgateway.js';
import {
  MAX_POINTS,
  queryInstant,
  queryRange,
  stepFor,
} from '../../src/prometheus/query.js';
import {
  startPrometheus,
  startPushgateway,
  waitForSample,
  type PrometheusServer,
  type Pushgateway,
} from '../services/index.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('Prometheus query client against a real Prometheus', () => {
  let gw: Pushgateway;
  let prom: PrometheusServer;
  beforeAll(async () => {
    gw = await startPushgateway();
    prom = await startPrometheus({ scrapeTargets: [gw.target] });
    await push(new URL(gw.url), 'PUT', 'q', { instance: 'a' }, [
      { name: 'pqc_test_value', help: 'test', value: 42 },
    ]);
    await waitForSample(prom, 'pqc_test_value', (v) => v === 42);
  });
  afterAll(async () => {
    await prom?.stop();
    await gw?.stop();
  });

  it('reads an instant vector and a range matrix of what was scraped', async () => {
    const t = { url: new URL(prom.url) };
    const now = Math.floor(Date.now() / 1000);
    const v = await queryInstant(t, 'pqc_test_value');
    expect(v.map((s) => s.value)).toEqual([42]);
    expect(v[0]?.metric['job']).toBe('q');
    const r = await queryRange(t, 'pqc_test_value', now - 60, now + 1, 1);
    expect(r).toHaveLength(1);
    expect(r[0]?.points.length).toBeGreaterThan(0);
    expect(r[0]?.points.every(([, x]) => x === 42)).toBe(true);
  });

  it('keeps NaN and +Inf as numbers for the caller to judge, and scalars too', async () => {
    const t = { url: new URL(prom.url) };
    expect((await queryInstant(t, 'pqc_test_value / 0'))[0]?.value).toBe(
      Infinity,
    );
    expect(Number.isNaN((await queryInstant(t, 'NaN'))[0]?.value)).toBe(true);
    expect(await queryInstant(t, 'absent_metric_xyz')).toEqual([]);
  });

  it('a bad query fails in one line naming the server and the error, without retrying a 400', async () => {
    const t = { url: new URL(prom.url) };
    await expect(queryInstant(t, 'sum(')).rejects.toThrow(
      new RegExp(
        `^Prometheus at ${prom.url}: api/v1/query: HTTP 400: .*parse error`,
      ),
    );
  });

  it('an unreachable server is retried, then named', async () => {
    const slept: number[] = [];
    const port = await closedPort();
    const t = {
      url: new URL(`http://127.0.0.1:${port}`),
      sleep: (ms: number) => {
        slept.push(ms);
        return Promise.resolve();
      },
    };
    await expect(queryInstant(t, 'up')).rejects.toThrow(
      new RegExp(
        `^Prometheus at http://127\\.0\\.0\\.1:${port}: api/v1/query: ECONNREFUSED`,
      ),
    );
    expect(slept).toEqual([500, 1000, 2000]);
  });

  it('chooses a step that keeps a range under the server limit', () => {
    expect(stepFor(0, 3600)).toBe(15);
    const week = 7 * 86400 * 4;
    const step = stepFor(0, week);
    expect(week / step + 1).toBeLessThanOrEqual(MAX_POINTS);
    expect(week / (step - 1) + 1).toBeGreaterThan(MAX_POINTS);
  });
});
