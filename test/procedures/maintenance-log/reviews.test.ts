// The weekly and monthly reviews feed the maintenance log: their records
// are found in the job's results, their activities are ticked (or not), and
// their regressions, forecasts and findings become next items.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacity } from '../../../src/procedures/capacity/procedure.js';
import { compliance } from '../../../src/procedures/compliance/procedure.js';
import { maintenanceLog } from '../../../src/procedures/maintenance-log/procedure.js';
import { performance } from '../../../src/procedures/performance/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { startHttpEndpoint, type HttpEndpoint } from '../../services/index.js';

let prom: HttpEndpoint;
let sim: KubeSim;
beforeAll(async () => {
  prom = await startHttpEndpoint();
  // One answer for every range query: a percentage growing half a point a day,
  // then 75 for the last day: a regression for performance, a forecast inside
  // the horizon for capacity.
  const end = Math.floor(Date.now() / 1000 / 60) * 60;
  const values: [number, string][] = [];
  for (let t = end - 30 * 86_400; t <= end + 600; t += 300)
    values.push([
      t,
      String(t > end - 86_400 ? 75 : 50 + (t - end + 30 * 86_400) / 86_400 / 2),
    ]);
  prom.respond('/api/v1/query_range', {
    status: 200,
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: {}, values }] },
    },
  });
  sim = await startKubeSim({ manifests: ['test/kube-sim/fixtures'] });
  await sim.settle();
});
afterAll(async () => {
  await prom?.close();
  await sim?.close();
});

describe('reviews in the maintenance log', () => {
  it('weekly and monthly records become activities and next items', async () => {
    const env = {
      ...process.env,
      RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'pqc-ops-reviews-')),
    };
    const base = { 'prometheus-url': prom.url, 'cluster-resources': 'false' };
    const perf = await runProcedure(performance, base, env);
    expect(perf.outputs['regression']).toBe('true');
    const cap = await runProcedure(
      capacity,
      { 'prometheus-url': prom.url, volumes: 'none' },
      env,
    );
    expect(cap.result.followUps.length).toBeGreaterThan(0);
    const comp = await runProcedure(
      compliance,
      {
        kubeconfig: sim.kubeconfigPath,
        'compliance-command': 'none',
        'fail-on': 'never',
        'fail-below': '0',
        'forbidden-verbs': 'create pods/exec',
      },
      env,
    );
    expect(comp.failure).toBeUndefined();
    const log = await runProcedure(
      maintenanceLog,
      { 'comment-on': 'none', cadence: 'monthly' },
      env,
    );
    const text = readFileSync(log.outputs['log-file'], 'utf8');
    expect(text).toMatch(/- \[ \] Performance optimization.*failed/);
    expect(text).toMatch(
      /- \[x\] Capacity planning review.*passed with warnings/,
    );
    expect(text).toMatch(/- \[x\] Compliance audit.*passed with warnings/);
    const next = text.slice(text.indexOf('## Next Maintenance Items'));
    expect(next).toContain(`- ${perf.result.followUps[0]}`);
    expect(next).toContain(`- ${cap.result.followUps[0]}`);
  });
});
