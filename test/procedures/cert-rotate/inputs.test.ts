// Every cert-rotate input refused when bad: the error names the input and
// the accepted form, and the cluster never hears a single request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certRotate } from '../../../src/procedures/cert-rotate/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

let sim: KubeSim;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-cert-in-'));
  writeFileSync(join(tmp, 'not-a-plan.json'), '{"kind":"Deployment"}');
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const cases: [string, Record<string, string>, RegExp][] = [
  ['kubeconfig', { kubeconfig: '/nonexistent/kubeconfig' }, /kubeconfig/],
  ['context', { context: 'no-such-context' }, /context.*no-such-context/],
  [
    'namespaces',
    { namespaces: 'Bad_NS' },
    /input 'namespaces'.*namespace names/,
  ],
  ['selector', { selector: 'a in (' }, /input 'selector'.*label selector/],
  ['within', { within: '60 days' }, /input 'within'.*duration/],
  ['within (over the bound)', { within: '1000d' }, /input 'within'.*to 400d/],
  [
    'include-not-ready',
    { 'include-not-ready': 'yes' },
    /input 'include-not-ready'.*true or false/,
  ],
  ['mode', { mode: 'delete' }, /input 'mode'.*one of plan, apply, auto/],
  ['plan (apply without it)', { mode: 'apply' }, /input 'plan' is required/],
  [
    'plan (not a plan)',
    { mode: 'apply', plan: 'NOTAPLAN' },
    /input 'plan': no file at NOTAPLAN/,
  ],
  [
    'plan (another kind)',
    { mode: 'apply', plan: '@not-a-plan' },
    /input 'plan' is not a pqc-ops plan/,
  ],
  [
    'wait-timeout',
    { 'wait-timeout': 'forever' },
    /input 'wait-timeout'.*duration/,
  ],
  [
    'wait-timeout (over a timer)',
    { 'wait-timeout': '30d' },
    /input 'wait-timeout'/,
  ],
  [
    'clear-failed-requests',
    { 'clear-failed-requests': '1' },
    /input 'clear-failed-requests'.*true or false/,
  ],
  [
    'tls-endpoints (no port)',
    { 'tls-endpoints': 'example.com' },
    /input 'tls-endpoints'.*example\.com.*host:port/,
  ],
  [
    'tls-endpoints (port)',
    { 'tls-endpoints': 'example.com:99999' },
    /input 'tls-endpoints'.*1-65535/,
  ],
  [
    'ca-bundles',
    { 'ca-bundles': '/nonexistent/ca.pem' },
    /input 'ca-bundles'.*\/nonexistent\/ca\.pem: no such file/,
  ],
  [
    'lock-namespace',
    { 'lock-namespace': 'Bad' },
    /input 'lock-namespace'.*Kubernetes name/,
  ],
  [
    'lock-name',
    { 'lock-name': 'bad_name' },
    /input 'lock-name'.*Kubernetes name/,
  ],
  [
    'pushgateway-url',
    { 'pushgateway-url': 'ftp://x' },
    /input 'pushgateway-url'.*http/,
  ],
];

describe('cert-rotate bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    const resolved = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [
        k,
        v.startsWith('@') ? join(tmp, v.slice(1) + '.json') : v,
      ]),
    );
    sim.clearJournal();
    const r = await runProcedure(
      certRotate,
      { kubeconfig: sim.kubeconfigPath, ...resolved },
      { ...process.env, RUNNER_TEMP: tmp },
    );
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(sim.journal).toEqual([]);
    expect(r.result.status).toBe('failed');
  });
});
