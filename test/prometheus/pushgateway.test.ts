import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushRun } from '../../src/archive/metrics.js';
import { exposition, groupUrl } from '../../src/prometheus/pushgateway.js';
import { startPushgateway, type Pushgateway } from '../services/index.js';

let gw: Pushgateway;
beforeAll(async () => {
  gw = await startPushgateway();
});
afterAll(async () => {
  await gw?.stop();
});

const ok = { name: 'pqc_x_success', help: 'x', value: 1 };
const ts = {
  name: 'pqc_x_last_success_timestamp_seconds',
  help: 'x',
  value: 1700000000,
};

describe('pushgateway client', () => {
  it('writes the exposition format with HELP and TYPE, no timestamps', () => {
    expect(exposition([{ name: 'a_b', help: 'line\nbreak', value: 2.5 }])).toBe(
      '# HELP a_b line\\nbreak\n# TYPE a_b gauge\na_b 2.5\n',
    );
  });

  it('writes labelled gauges of one name under one HELP and TYPE, values escaped', () => {
    const h = 'h';
    expect(
      exposition([
        { name: 'm', help: h, value: 1, labels: { q: 'a"b\\c' } },
        { name: 'm', help: h, value: Infinity, labels: { q: 'x' } },
        { name: 'n', help: h, value: NaN },
      ]),
    ).toBe(
      '# HELP m h\n# TYPE m gauge\nm{q="a\\"b\\\\c"} 1\nm{q="x"} +Inf\n# HELP n h\n# TYPE n gauge\nn NaN\n',
    );
    expect(() =>
      exposition([
        { name: 'm', help: h, value: 1, labels: { 'bad-label': 'x' } },
      ]),
    ).toThrow('bad label name bad-label');
  });

  it('encodes grouping-key values with a slash in base64', () => {
    expect(groupUrl(new URL('http://gw:9091/'), 'j', { instance: 'a/b' })).toBe(
      'http://gw:9091/metrics/job/j/instance@base64/YS9i',
    );
  });

  it('a failed run keeps the last success timestamp of the previous good run', async () => {
    const url = new URL(gw.url);
    await pushRun(url, 'pqc-ops-test', 'inst/1', true, [ok], ts);
    expect(
      await gw.sample('pqc_x_last_success_timestamp_seconds', {
        job: 'pqc-ops-test',
        instance: 'inst/1',
      }),
    ).toBe(1700000000);
    await pushRun(url, 'pqc-ops-test', 'inst/1', false, [{ ...ok, value: 0 }], {
      ...ts,
      value: 1800000000,
    });
    expect(await gw.sample('pqc_x_success', { instance: 'inst/1' })).toBe(0);
    expect(
      await gw.sample('pqc_x_last_success_timestamp_seconds', {
        instance: 'inst/1',
      }),
    ).toBe(1700000000);
  });

  it('says why a push failed', async () => {
    await expect(
      pushRun(new URL('http://127.0.0.1:9/'), 'j', 'i', true, [ok], ts),
    ).rejects.toThrow(/push to http:\/\/127.0.0.1:9 failed/);
  });
});
