// Every capacity input refused when bad: the error names the input and the
// accepted form, and neither Prometheus nor the cluster hears a request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacity } from '../../../src/procedures/capacity/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startHttpEndpoint, type HttpEndpoint } from '../../services/index.js';

let prom: HttpEndpoint;
beforeAll(async () => {
  prom = await startHttpEndpoint();
});
afterAll(async () => prom?.close());

const cases: [string, Record<string, string>, RegExp][] = [
  [
    'prometheus-url',
    { 'prometheus-url': 'localhost:9090' },
    /input 'prometheus-url'.*http/,
  ],
  [
    'prometheus-password alone',
    { 'prometheus-password': 'pw' },
    /'prometheus-username' and 'prometheus-password' go together/,
  ],
  ['window', { window: 'a month' }, /input 'window'.*duration/],
  ['window (too short)', { window: '1h' }, /input 'window'.*from 1d to 400d/],
  ['warn-at', { 'warn-at': '0%' }, /input 'warn-at'.*percentage/],
  ['horizon', { horizon: '20y' }, /input 'horizon'.*duration/],
  [
    'volumes',
    { volumes: 'df' },
    /input 'volumes'.*one of auto, prometheus, exec, none/,
  ],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['selector', { selector: 'app in (' }, /input 'selector'.*label selector/],
  [
    'postgres-selector',
    { 'postgres-selector': '=x' },
    /input 'postgres-selector'.*label selector/,
  ],
  [
    'pushgateway-url',
    { 'pushgateway-url': 'gw:9091' },
    /input 'pushgateway-url'.*http/,
  ],
];

describe('capacity bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    prom.requests.length = 0;
    const r = await runProcedure(capacity, {
      'prometheus-url': prom.url,
      kubeconfig: '/nonexistent/kubeconfig',
      ...inputs,
    });
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(r.result.status).toBe('failed');
    expect(prom.requests).toEqual([]);
  });
});
