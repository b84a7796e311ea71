// The performance bundle as the runner runs it, under the ClusterRole we
// ship in deploy/rbac/performance.yaml, and the weekly chain of the CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runCli } from '../../helpers/cli.js';
import { root, runBundle } from '../../helpers/bundle.js';
import { startHttpEndpoint, type HttpEndpoint } from '../../services/index.js';

const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'performance.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = 'system:serviceaccount:pqc-audit:pqc-ops-performance';
let sim: KubeSim;
let prom: HttpEndpoint;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
    objects: rbac,
  });
  prom = await startHttpEndpoint();
  const now = Math.floor(Date.now() / 1000 / 60) * 60;
  const values: [number, string][] = [];
  for (let t = now - 7 * 86_400 + 60; t <= now + 600; t += 60)
    values.push([t, t > now - 86_400 ? '1.3' : '1']);
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

describe('performance with deploy/rbac/performance.yaml', () => {
  it('reads nodes, pods and metrics with that ClusterRole alone; the regression fails the step', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      'system:serviceaccounts:pqc-audit',
    ]);
    sim.clearJournal();
    const r = await runBundle('performance', {
      kubeconfig: kc.path,
      'prometheus-url': prom.url,
    });
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    expect(r.outputs['regression']).toBe('true');
    expect(r.code).toBe(1);
    // (The runner's command escaping turns % into %25.)
    expect(r.stdout).toContain(
      '::error::performance: regression: pqc:scan_duration_p95_5m: recent 1.3 vs baseline 1: +30.0%25 worse',
    );
    expect(r.summary).toContain('| nodes | ✅ ok |');
    expect(r.summary).toContain('xychart-beta');
    expect(sim.writes()).toEqual([]);
  });

  it('an identity without it gets a failed cluster check naming the 403', async () => {
    const kc = sim.kubeconfigFor('system:serviceaccount:pqc-audit:nobody', [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('performance', {
      kubeconfig: kc.path,
      'prometheus-url': prom.url,
      'fail-on-regression': 'false',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error::performance: cluster: list nodes: nodes is forbidden: User "system:serviceaccount:pqc-audit:nobody" cannot list resource "nodes" in API group "" at the cluster scope (HTTP 403 Forbidden)',
    );
  });
});

describe('pqc-ops weekly', () => {
  it('runs performance from the CLI: Markdown out, exit 1 on the regression', async () => {
    const { code, out, err } = await runCli([
      'weekly',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--prometheus-url',
      prom.url,
    ]);
    expect(code, err).toBe(1);
    expect(out).toContain('### performance: ❌ failed');
    expect(err).toContain(
      'pqc-ops performance: performance: regression: pqc:scan_duration_p95_5m: recent 1.3 vs baseline 1: +30.0% worse',
    );
  });
});

describe('pqc-ops performance', () => {
  it('runs from the CLI: JSON out, exit 1 on the regression, 0 when it only warns, 2 naming a bad flag before any request', async () => {
    const flags = [
      'performance',
      '--prometheus-url',
      prom.url,
      '--cluster-resources',
      'false',
    ];
    const failed = await runCli([...flags, '--json']);
    expect(failed.code, failed.err).toBe(1);
    const result = JSON.parse(failed.out) as {
      procedure: string;
      status: string;
    };
    expect(result).toMatchObject({
      procedure: 'performance',
      status: 'failed',
    });

    const warned = await runCli([...flags, '--fail-on-regression', 'false']);
    expect(warned.code, warned.err).toBe(0);
    expect(warned.out).toContain('### performance: ⚠️ warning');

    const before = prom.requests.length;
    const bad = await runCli([...flags, '--threshold', 'twenty']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/input 'threshold'.*percentage/);
    expect(prom.requests.length).toBe(before);
  });
});
