import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenanceLog } from '../../../src/procedures/maintenance-log/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startPushgateway, type Pushgateway } from '../../services/index.js';
import { healthResult, result, writeResults } from './fixtures.js';

let gw: Pushgateway;
beforeAll(async () => {
  gw = await startPushgateway();
});
afterAll(async () => {
  await gw?.stop();
});

const group = { job: 'pqc-ops-maintenance', environment: 'production' };
const tasks = (task_type: string) =>
  gw.sample('pqc_maintenance_tasks_total', { ...group, task_type });

/** Runs the log over `results` (as a downloaded artifact folder), no comment. */
async function logRun(results = [healthResult(0), result('backup', 'ok', 2)]) {
  const dir = mkdtempSync(join(tmpdir(), 'mlog-metrics-'));
  writeResults(join(dir, 'artifact'), results);
  return runProcedure(maintenanceLog, {
    'results-dir': dir,
    'comment-on': 'none',
    environment: 'production',
    'pushgateway-url': gw.url,
  });
}

describe('maintenance-log metrics on the real Pushgateway', () => {
  it('counts tasks across runs, and moves the last-maintenance time only on success', async () => {
    const first = await logRun();
    expect(first.failure).toBeUndefined();
    expect(first.result.checks.find((c) => c.name === 'metrics')?.status).toBe(
      'ok',
    );
    expect(await tasks('health')).toBe(1);
    expect(await tasks('backup')).toBe(1);
    expect(await gw.sample('pqc_maintenance_success', group)).toBe(1);
    const last = await gw.sample('pqc_last_maintenance_timestamp', group);
    expect(last).toBe(Date.UTC(2025, 4, 6, 5, 3) / 1000);
    expect(
      await gw.sample('pqc_maintenance_task_status', {
        ...group,
        task_type: 'backup',
      }),
    ).toBe(1);
    expect(first.markdown).toContain(
      '- [x] Alert validation: the maintenance metrics reached the Pushgateway',
    );

    // The second run: health only; backup's count is carried, not dropped.
    await logRun([healthResult(60 * 24)]);
    expect(await tasks('health')).toBe(2);
    expect(await tasks('backup')).toBe(1);
    const second = await gw.sample('pqc_last_maintenance_timestamp', group);
    expect(second).toBe(Date.UTC(2025, 4, 7, 5, 1) / 1000);

    // A failed run counts, sets success 0, and leaves the last success time.
    await logRun([
      healthResult(60 * 48),
      result('backup', 'failed', 60 * 48 + 2),
    ]);
    expect(await tasks('health')).toBe(3);
    expect(await tasks('backup')).toBe(2);
    expect(await gw.sample('pqc_maintenance_success', group)).toBe(0);
    expect(await gw.sample('pqc_last_maintenance_timestamp', group)).toBe(
      second,
    );
    expect(
      await gw.sample('pqc_maintenance_task_status', {
        ...group,
        task_type: 'backup',
      }),
    ).toBe(0);
    const text = await gw.metrics();
    expect(text).toMatch(/# TYPE pqc_maintenance_tasks_total counter/);
  });

  it('a Pushgateway that cannot be reached is a warning, and the log is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlog-metrics-'));
    writeResults(dir, [healthResult(0)]);
    const ex = await runProcedure(maintenanceLog, {
      'results-dir': dir,
      'comment-on': 'none',
      'pushgateway-url': 'http://127.0.0.1:9',
    });
    expect(ex.failure).toBeUndefined();
    const check = ex.result.checks.find((c) => c.name === 'metrics');
    expect(check?.status).toBe('warning');
    expect(check?.observed).toMatch(
      /^read of http:\/\/127\.0\.0\.1:9\/api\/v1\/metrics failed: /,
    );
    expect(ex.markdown).toMatch(/- Metrics not pushed: read of /);
    expect(ex.markdown).toContain(
      '- [ ] Alert validation: the metrics push failed',
    );
    expect(ex.outputs['log-file']).toMatch(/maintenance-log-.*\.md$/);
  });
});
