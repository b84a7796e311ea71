// The capacity bundle as the runner runs it, df through exec under
// deploy/rbac/capacity.yaml alone; and the capacity subcommand of the CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runCli } from '../../helpers/cli.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { startHttpEndpoint, type HttpEndpoint } from '../../services/index.js';

const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'capacity.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = 'system:serviceaccount:pqc-audit:pqc-ops-capacity';
let sim: KubeSim;
let prom: HttpEndpoint;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
    objects: rbac,
  });
  prom = await startHttpEndpoint();
  // 30 days of memory growing a point a day from 50%: 80% in about 30 days.
  const end = Math.floor(Date.now() / 1000 / 300) * 300;
  const values: [number, string][] = [];
  for (let t = end - 30 * 86_400 + 300; t <= end + 600; t += 300)
    values.push([t, String(50 + (t - end) / 86_400)]);
  prom.respond('/api/v1/query_range', {
    status: 200,
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: {}, values }] },
    },
  });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await prom?.close();
});

describe('capacity with deploy/rbac/capacity.yaml', () => {
  it('runs df through exec with that Role alone', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      'system:serviceaccounts:pqc-audit',
    ]);
    sim.clearJournal();
    const r = await runBundle('capacity', {
      kubeconfig: kc.path,
      'prometheus-url': prom.url,
      volumes: 'exec',
    });
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    expect(sim.writes()).toEqual([]);
    expect(r.summary).toMatch(
      /\| volumes \(df\) \| ✅ ok \| 3 filesystem\(s\)/,
    );
    expect(JSON.parse(r.outputs['forecasts'])[0].daysToWarn).toBeCloseTo(30, 0);
    expect(r.summary).toContain('#### Follow-up');
  });

  it('an identity without it gets a failed df check naming the 403', async () => {
    const kc = sim.kubeconfigFor('system:serviceaccount:pqc-audit:nobody', [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('capacity', {
      kubeconfig: kc.path,
      'prometheus-url': prom.url,
      volumes: 'exec',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error::capacity: volumes (df): app=pqc-audit: list pods in pqc-audit: pods is forbidden',
    );
  });
});

describe('pqc-ops capacity', () => {
  it('runs from the CLI, and joins monthly when --prometheus-url is given', async () => {
    const { code, out } = await runCli([
      'capacity',
      '--prometheus-url',
      prom.url,
      '--volumes',
      'none',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out) as { procedure: string; status: string };
    expect(result).toMatchObject({ procedure: 'capacity', status: 'warning' });
  });
});
