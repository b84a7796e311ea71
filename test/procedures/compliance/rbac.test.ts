// The compliance bundle as the runner runs it, under deploy/rbac/compliance.yaml
// alone, against the fixtures' namespace; and the monthly chain of the CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runCli } from '../../helpers/cli.js';
import { root, runBundle } from '../../helpers/bundle.js';

const rbac = parseAllDocuments(
  readFileSync(join(root, 'deploy', 'rbac', 'compliance.yaml'), 'utf8'),
).map((d) => d.toJSON() as object);
const sa = 'system:serviceaccount:pqc-audit:pqc-ops-compliance';
let sim: KubeSim;

beforeAll(async () => {
  sim = await startKubeSim({
    rbac: true,
    manifests: [join(root, 'test', 'kube-sim', 'fixtures')],
    objects: rbac,
  });
  sim.addExecHook({
    command: 'python',
    run: ({ stdout }) => {
      stdout('COMPLIANCE all checks pass\n');
      return 0;
    },
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

describe('compliance with deploy/rbac/compliance.yaml', () => {
  it('reads, execs and reviews with that Role alone', async () => {
    const kc = sim.kubeconfigFor(sa, [
      'system:serviceaccounts',
      'system:serviceaccounts:pqc-audit',
    ]);
    sim.clearJournal();
    const r = await runBundle('compliance', {
      kubeconfig: kc.path,
      'fail-on': 'never',
      'fail-below': '0',
    });
    expect(sim.journal.filter((j) => j.status === 403)).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    expect(sim.writes()).toEqual([]);
    expect(
      sim.journal.filter(
        (j) => j.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      ),
    ).toHaveLength(5);
    expect(r.summary).toContain('#### NIST SP 800-53 controls');
    // The fixtures' Deployment sets no securityContext: findings, not errors.
    expect(Number(r.outputs['findings'])).toBeGreaterThan(0);
  });

  it('an identity without it fails in one line with the 403', async () => {
    const kc = sim.kubeconfigFor('system:serviceaccount:pqc-audit:nobody', [
      'system:serviceaccounts',
    ]);
    const r = await runBundle('compliance', { kubeconfig: kc.path });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error'))).toEqual(
      [
        '::error::compliance: list pods app=pqc-audit in pqc-audit: pods is forbidden: User "system:serviceaccount:pqc-audit:nobody" cannot list resource "pods" in API group "" in the namespace "pqc-audit" (HTTP 403 Forbidden)',
      ],
    );
  });
});

describe('pqc-ops monthly', () => {
  it('runs cert-rotate, then compliance, and exits 1 when the audit fails its gate', async () => {
    const { code, out, err } = await runCli([
      'monthly',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--json',
    ]);
    const results = JSON.parse(out) as { procedure: string; status: string }[];
    expect(results.map((x) => x.procedure)).toEqual([
      'cert-rotate',
      'compliance',
    ]);
    // The fixtures' workloads set no securityContext: the score falls below 80.
    expect(results.map((x) => x.status)).toEqual(['ok', 'failed']);
    expect(err).toMatch(
      /pqc-ops compliance: compliance: score \d+(\.\d)? is below 80/,
    );
    expect(code).toBe(1);
  });
});

describe('pqc-ops compliance', () => {
  it('runs from the CLI: the report on stdout, exit 1 on a failed gate, a bad flag named before anything is read', async () => {
    const passed = await runCli([
      'compliance',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--fail-on',
      'never',
      '--fail-below',
      '0',
      '--json',
    ]);
    expect(passed.code, passed.err).toBe(0);
    const result = JSON.parse(passed.out) as {
      procedure: string;
      metrics: Record<string, number>;
    };
    expect(result.procedure).toBe('compliance');
    expect(result.metrics['findings']).toBeGreaterThan(0);
    expect(result.metrics['score']).toBeLessThan(80);

    const failed = await runCli([
      'compliance',
      '--kubeconfig',
      sim.kubeconfigPath,
    ]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('#### NIST SP 800-53 controls');
    expect(failed.err).toMatch(/compliance: .*(below 80|high or worse)/);

    sim.clearJournal();
    const bad = await runCli([
      'compliance',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--fail-on',
      'severe',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      `input 'fail-on' has an invalid value "severe" (not allowed): expected one of critical, high, medium, low, never`,
    );
    expect(sim.journal).toEqual([]);
  });
});
