// Every performance input refused when bad: the error names the input and
// the accepted form, and neither Prometheus nor the cluster hears a request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from '../../../src/procedures/performance/procedure.js';
import { parseQueries } from '../../../src/procedures/performance/queries.js';
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
    { 'prometheus-url': 'prometheus:9090' },
    /input 'prometheus-url'.*http/,
  ],
  [
    'prometheus-url (credentials in it)',
    { 'prometheus-url': 'http://u:p@prom:9090' },
    /input 'prometheus-url' must not hold credentials/,
  ],
  [
    'prometheus-token with basic auth',
    {
      'prometheus-token': 't0ken',
      'prometheus-username': 'u',
      'prometheus-password': 'p',
    },
    /give input 'prometheus-token' or 'prometheus-username'/,
  ],
  [
    'prometheus-username alone',
    { 'prometheus-username': 'u' },
    /'prometheus-username' and 'prometheus-password' go together/,
  ],
  [
    'prometheus-timeout',
    { 'prometheus-timeout': 'soon' },
    /input 'prometheus-timeout'.*duration/,
  ],
  ['query (empty names)', { query: '# nothing\n' }, /input 'query'.*no query/],
  [
    'query (a name twice)',
    { query: 'a: up\na: up' },
    /input 'query'.*"a" is given twice/,
  ],
  ['recent', { recent: '1 day' }, /input 'recent'.*duration/],
  ['recent (too short)', { recent: '10s' }, /input 'recent'.*from 1m to 30d/],
  ['baseline', { baseline: '90d' }, /input 'baseline'.*to 30d/],
  ['threshold', { threshold: 'twenty' }, /input 'threshold'.*percentage/],
  [
    'direction',
    { direction: 'up' },
    /input 'direction'.*one of higher-is-worse, lower-is-worse/,
  ],
  [
    'fail-on-regression',
    { 'fail-on-regression': 'yes' },
    /input 'fail-on-regression'.*true or false/,
  ],
  [
    'cluster-resources',
    { 'cluster-resources': 'no' },
    /input 'cluster-resources'.*true or false/,
  ],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['selector', { selector: 'a in (' }, /input 'selector'.*label selector/],
  [
    'pushgateway-url',
    { 'pushgateway-url': 'ftp://x' },
    /input 'pushgateway-url'.*http/,
  ],
];

describe('performance bad input', () => {
  it.each(cases)('%s', async (_name, inputs, why) => {
    prom.requests.length = 0;
    const r = await runProcedure(performance, {
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

describe('the query input', () => {
  it.each([
    [
      'pqc:scan_duration_p95_5m',
      [{ name: 'pqc:scan_duration_p95_5m', expr: 'pqc:scan_duration_p95_5m' }],
    ],
    [
      'p95: histogram_quantile(0.95, sum by (le) (rate(x_bucket{a="b: c"}[5m])))\nrate(errors_total[5m])',
      [
        {
          name: 'p95',
          expr: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket{a="b: c"}[5m])))',
        },
        { name: 'query 2', expr: 'rate(errors_total[5m])' },
      ],
    ],
    [
      '# a comment\n\nerror rate: sum(rate(x[5m:1m]))',
      [{ name: 'error rate', expr: 'sum(rate(x[5m:1m]))' }],
    ],
  ])('%j', (raw, want) => expect(parseQueries(raw)).toEqual(want));
});
