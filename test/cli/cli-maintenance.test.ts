// pqc-ops housekeeping and pqc-ops rollout through the CLI bundle, the daily
// chain with housekeeping in it, and the weekly chain with rollout.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { runCli } from '../helpers/cli.js';

const IMAGE = `ghcr.io/pqc-ops/pqc-audit@sha256:${'d'.repeat(64)}`;
let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({
    manifests: [join(import.meta.dirname, '..', 'kube-sim', 'fixtures')],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

const cli = runCli;

describe('pqc-ops housekeeping and rollout (CLI bundle)', () => {
  it('housekeeping plans in every app pod and writes nothing', async () => {
    sim.clearJournal();
    const r = await cli([
      'housekeeping',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as {
      procedure: string;
      checks: { name: string; status: string }[];
    };
    expect(result.procedure).toBe('housekeeping');
    expect(
      result.checks
        .filter((c) => c.name.startsWith('pod '))
        .map((c) => c.status),
    ).toEqual(['ok', 'ok', 'ok']);
    expect(result.checks.find((c) => c.name === 'vacuum')?.status).toBe(
      'skipped',
    );
    expect(sim.writes()).toEqual([]);
  });

  it('daily runs health, then housekeeping', async () => {
    const r = await cli([
      'daily',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--crypto-check',
      'none',
    ]);
    expect(r.out).toMatch(/### health:[\s\S]*### housekeeping:/);
  });

  it('rollout plans by digest (nothing written); exit 2 on a bad image with nothing sent', async () => {
    sim.clearJournal();
    const r = await cli([
      'rollout',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--image',
      IMAGE,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('### rollout:');
    expect(r.out).toContain(
      `set image pqc-audit: ghcr.io/pqc-ops/pqc-audit:1.4.2 -> ${IMAGE}`,
    );
    expect(sim.writes()).toEqual([]);
    sim.clearJournal();
    const bad = await cli([
      'rollout',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--image',
      'Not An Image',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("input 'image' has an invalid value");
    expect(sim.journal).toEqual([]);
  });

  it('weekly is rollout when --image is given, and skips it otherwise', async () => {
    const without = await cli(['weekly', '--kubeconfig', sim.kubeconfigPath]);
    expect(without.err).toContain(
      'pqc-ops weekly: skipping rollout: give --image (or PQC_OPS_IMAGE) to include it',
    );
    const withImage = await cli([
      'weekly',
      '--kubeconfig',
      sim.kubeconfigPath,
      '--image',
      IMAGE,
    ]);
    expect(withImage.code, withImage.err).toBe(0);
    expect(withImage.out).toContain('### rollout:');
  });
});
