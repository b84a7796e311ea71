// Every compliance input refused when bad: the error names the input and the
// accepted form, and the cluster never hears a request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compliance } from '../../../src/procedures/compliance/procedure.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
});
afterAll(async () => sim?.close());

const cases: [string, Record<string, string>, RegExp][] = [
  ['kubeconfig', { kubeconfig: '/nonexistent/kubeconfig' }, /kubeconfig/],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['selector', { selector: 'a in (' }, /input 'selector'.*label selector/],
  [
    'service-account',
    { 'service-account': 'system:admin' },
    /input 'service-account'.*Kubernetes name/,
  ],
  [
    'forbidden-verbs (no resource)',
    { 'forbidden-verbs': 'list' },
    /input 'forbidden-verbs'.*"list" is not "verb resource/,
  ],
  [
    'forbidden-verbs (scope)',
    { 'forbidden-verbs': 'get secrets everywhere' },
    /input 'forbidden-verbs'.*\[cluster-wide\]/,
  ],
  [
    'forbidden-verbs (names)',
    { 'forbidden-verbs': 'get Secrets' },
    /input 'forbidden-verbs'.*"Secrets" is not a verb, resource or group name/,
  ],
  [
    'compliance-command',
    { 'compliance-command': '["python", 1]' },
    /input 'compliance-command'.*not a list of strings/,
  ],
  [
    'compliance-container',
    { 'compliance-container': 'App' },
    /input 'compliance-container'.*Kubernetes name/,
  ],
  [
    'compliance-timeout',
    { 'compliance-timeout': '5 minutes' },
    /input 'compliance-timeout'.*duration/,
  ],
  [
    'compliance-report-url',
    { 'compliance-report-url': 'pqc-audit:8080/admin' },
    /input 'compliance-report-url'.*http/,
  ],
  [
    'log-lines',
    { 'log-lines': '-1' },
    /input 'log-lines'.*whole number from 0 to 100000/,
  ],
  ['fail-below', { 'fail-below': '101' }, /input 'fail-below'.*from 0 to 100/],
  [
    'fail-on',
    { 'fail-on': 'severe' },
    /input 'fail-on'.*one of critical, high, medium, low, never/,
  ],
  [
    'pushgateway-url',
    { 'pushgateway-url': 'ftp://x' },
    /input 'pushgateway-url'.*http/,
  ],
];

describe('compliance bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    sim.clearJournal();
    const r = await runProcedure(compliance, {
      kubeconfig: sim.kubeconfigPath,
      ...inputs,
    });
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(r.result.status).toBe('failed');
    expect(sim.journal).toEqual([]);
  });

  it('a secret report token is masked', async () => {
    const r = await runProcedure(compliance, {
      kubeconfig: sim.kubeconfigPath,
      'compliance-report-token': 'tok-Zq9-never-in-logs',
      'fail-on': 'severe',
    });
    expect(r.masked).toContain('tok-Zq9-never-in-logs');
  });
});
