// Every housekeeping input refused when bad: the error names the input and
// the accepted form, and the cluster never hears a single request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../../src/procedures/housekeeping/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

let sim: KubeSim;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-hk-in-'));
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
  await sim.settle();
});
afterAll(async () => sim?.close());

const cases: [string, Record<string, string>, RegExp][] = [
  ['kubeconfig', { kubeconfig: '/nonexistent/kubeconfig' }, /kubeconfig/],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['selector', { selector: 'a in (' }, /input 'selector'.*label selector/],
  ['pod', { pod: 'Pod_1' }, /input 'pod'.*Kubernetes name/],
  ['container', { container: 'a b' }, /input 'container'.*Kubernetes name/],
  ['log-path /', { 'log-path': '/' }, /input 'log-path'.*\/ is refused/],
  ['log-path //', { 'log-path': '//' }, /input 'log-path'.*\/ is refused/],
  [
    'log-path relative',
    { 'log-path': 'var/log' },
    /input 'log-path'.*not an absolute path/,
  ],
  [
    'log-path ..',
    { 'log-path': '/var/log/../../etc' },
    /input 'log-path'.*\.\. segment/,
  ],
  [
    'log-path /proc',
    { 'log-path': '/proc/self' },
    /input 'log-path'.*kernel filesystem/,
  ],
  ['temp-path /', { 'temp-path': '/' }, /input 'temp-path'.*\/ is refused/],
  [
    'temp-path newline',
    { 'temp-path': '/tmp/a\n/etc' },
    /input 'temp-path'.*control character/,
  ],
  [
    'compress-after',
    { 'compress-after': 'a week' },
    /input 'compress-after'.*duration/,
  ],
  [
    'compress-after (under 1h)',
    { 'compress-after': '10m' },
    /input 'compress-after'.*from 1h/,
  ],
  ['delete-after', { 'delete-after': '-1d' }, /input 'delete-after'.*duration/],
  [
    'delete-after <= compress-after',
    { 'compress-after': '30d', 'delete-after': '7d' },
    /input 'delete-after' must be longer than 'compress-after'/,
  ],
  ['temp-max-age', { 'temp-max-age': '0' }, /input 'temp-max-age'.*duration/],
  [
    'overlapping paths',
    { 'log-path': '/var/log', 'temp-path': '/var/log/tmp' },
    /inputs 'log-path' \(\/var\/log\) and 'temp-path' \(\/var\/log\/tmp\) overlap/,
  ],
  ['vacuum', { vacuum: 'yes' }, /input 'vacuum'.*true or false/],
  [
    'database-url and postgres-pod',
    { 'database-url': 'postgres://u@h/db', 'postgres-pod': 'pg-0' },
    /give either input 'database-url' or 'postgres-pod'/,
  ],
  [
    'postgres-pod and postgres-selector',
    { 'postgres-pod': 'pg-0', 'postgres-selector': 'app=pg' },
    /give either input 'postgres-pod' or 'postgres-selector'/,
  ],
  ['exec-timeout', { 'exec-timeout': '30d' }, /input 'exec-timeout'/],
  [
    'lock-name',
    { 'lock-name': 'bad_name' },
    /input 'lock-name'.*Kubernetes name/,
  ],
  ['mode', { mode: 'delete' }, /input 'mode'.*one of plan, apply, auto/],
  ['plan (apply without it)', { mode: 'apply' }, /input 'plan' is required/],
];

describe('housekeeping bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    sim.clearJournal();
    const r = await runProcedure(
      housekeeping,
      { kubeconfig: sim.kubeconfigPath, ...inputs },
      { ...process.env, RUNNER_TEMP: tmp },
    );
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(sim.journal).toEqual([]);
    expect(r.result.status).toBe('failed');
  });
});
