// Every rollout input refused when bad: the error names the input and the
// accepted form, and the cluster never hears a single request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollout } from '../../../src/procedures/rollout/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

let sim: KubeSim;
let tmp: string;
const IMAGE = `ghcr.io/pqc-ops/pqc-audit@sha256:${'a'.repeat(64)}`;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-rollout-in-'));
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
  await sim.settle();
});
afterAll(async () => sim?.close());

const cases: [string, Record<string, string>, RegExp][] = [
  [
    'image (missing)',
    { image: '' },
    /input 'image' is required: give an image reference/,
  ],
  [
    'image (uppercase)',
    { image: 'ghcr.io/Org/App:1' },
    /input 'image'.*repository names are lowercase/,
  ],
  [
    'image (short digest)',
    { image: 'ghcr.io/org/app@sha256:abc' },
    /input 'image'.*the digest must be sha256:<64 hex>/,
  ],
  [
    'image (spaces)',
    { image: 'app 1.0' },
    /input 'image'.*not an image reference/,
  ],
  [
    'image (shell)',
    { image: 'app:1;rm -rf /' },
    /input 'image'.*not an image reference/,
  ],
  ['kubeconfig', { kubeconfig: '/nonexistent/kubeconfig' }, /kubeconfig/],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['deployment', { deployment: 'a/b' }, /input 'deployment'.*Kubernetes name/],
  ['container', { container: 'C' }, /input 'container'.*Kubernetes name/],
  ['timeout', { timeout: 'ten minutes' }, /input 'timeout'.*duration/],
  ['timeout (over a timer)', { timeout: '30d' }, /input 'timeout'.*to 24d/],
  [
    'undo-on-unhealthy',
    { 'undo-on-unhealthy': 'maybe' },
    /input 'undo-on-unhealthy'.*true or false/,
  ],
  ['selector', { selector: 'app in (' }, /input 'selector'.*label selector/],
  [
    'health-url',
    { 'health-url': 'ftp://x/health' },
    /input 'health-url'.*http/,
  ],
  [
    'health-timeout',
    { 'health-timeout': 'soon' },
    /input 'health-timeout'.*duration/,
  ],
  [
    'expected-status',
    { 'expected-status': '700' },
    /input 'expected-status'.*100 to 599/,
  ],
  [
    'crypto-check',
    { 'crypto-check': 'openssl' },
    /input 'crypto-check'.*one of liboqs-python, none, command/,
  ],
  [
    'crypto-command (missing)',
    { 'crypto-check': 'command' },
    /input 'crypto-command' is required when crypto-check is command/,
  ],
  [
    'cpu-threshold',
    { 'cpu-threshold': 'high' },
    /input 'cpu-threshold'.*percentage/,
  ],
  ['lock-name', { 'lock-name': 'Lock' }, /input 'lock-name'.*Kubernetes name/],
  ['mode', { mode: 'yolo' }, /input 'mode'.*one of plan, apply, auto/],
  ['plan (apply without it)', { mode: 'apply' }, /input 'plan' is required/],
];

describe('rollout bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    sim.clearJournal();
    const r = await runProcedure(
      rollout,
      { kubeconfig: sim.kubeconfigPath, image: IMAGE, ...inputs },
      { ...process.env, RUNNER_TEMP: tmp },
    );
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(sim.journal).toEqual([]);
    expect(r.result.status).toBe('failed');
  });
});
