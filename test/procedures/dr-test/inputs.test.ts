// Every dr-test input refused when bad, before anything is touched: the
// error names the input and the accepted form in one line, and the cluster
// never hears a single request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drTest } from '../../../src/procedures/dr-test/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';

let sim: KubeSim;
let tmp: string;
let archives: string;
let noKind: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-test-dr-in-'));
  archives = mkdtempSync(join(tmpdir(), 'pqc-ops-test-dr-archives-'));
  noKind = join(tmp, 'no-kind.yaml');
  writeFileSync(noKind, 'apiVersion: v1\nmetadata:\n  name: x\n');
  sim = await startKubeSim({ objects: [namespace('pqc-audit')] });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(archives, { recursive: true, force: true });
});

const cases: [string, Record<string, string>, RegExp][] = [
  [
    'destination (missing)',
    { destination: '' },
    /input 'destination' is required/,
  ],
  ['destination (bucket)', { destination: 's3://' }, /input 'destination'/],
  ['prefix', { prefix: '../x' }, /input 'prefix' must be letters, digits/],
  [
    'database (none)',
    { 'database-url': '' },
    /needs a source: set input 'database-url'.*'postgres-pod'\/'postgres-selector'/,
  ],
  [
    'database (both)',
    { 'postgres-selector': 'app=postgres' },
    /give either input 'database-url' or 'postgres-pod'\/'postgres-selector', not both/,
  ],
  [
    'postgres-pod',
    { 'database-url': '', 'postgres-pod': 'postgres-0' },
    /input 'postgres-pod' cannot name the database pod of a DR test.*'postgres-selector'/,
  ],
  ['database-url', { 'database-url': 'mysql://h/db' }, /input 'database-url'/],
  ['namespace', { namespace: 'Bad_NS' }, /input 'namespace'.*Kubernetes name/],
  ['deployment', { deployment: 'a/b' }, /input 'deployment'.*Kubernetes name/],
  [
    'database-deployment',
    { 'database-deployment': 'PG' },
    /input 'database-deployment'.*Kubernetes name/,
  ],
  ['selector', { selector: 'app in (' }, /input 'selector'.*label selector/],
  [
    'health-url',
    { 'health-url': 'ftp://x/health' },
    /input 'health-url'.*http/,
  ],
  [
    'expected-status',
    { 'expected-status': '700' },
    /input 'expected-status'.*100 to 599/,
  ],
  ['timeout', { timeout: '30d' }, /input 'timeout'.*to 24d/],
  ['rto-target', { 'rto-target': 'soon' }, /input 'rto-target'.*duration/],
  ['rpo-target', { 'rpo-target': '0s' }, /input 'rpo-target'.*from 1s/],
  ['verify-limit', { 'verify-limit': '0' }, /input 'verify-limit'.*1 to 100/],
  [
    'failover-manifests without dr-context',
    { 'failover-manifests': '/etc/hostname' },
    /inputs 'failover-manifests' and 'dr-context' go together/,
  ],
  [
    'dr-context without failover-manifests',
    { 'dr-context': 'dr-cluster' },
    /inputs 'failover-manifests' and 'dr-context' go together/,
  ],
  [
    'failover-manifests (missing file)',
    { 'failover-manifests': '/nonexistent/k8s', 'dr-context': 'dr' },
    /input 'failover-manifests': no file or directory at \/nonexistent\/k8s/,
  ],
  [
    'failover-manifests (no kind)',
    { 'failover-manifests': '<no-kind>', 'dr-context': 'dr' },
    /input 'failover-manifests': .*no-kind\.yaml holds a document without apiVersion, kind and metadata\.name/,
  ],
  [
    'lock-names',
    { 'lock-names': 'Bad_Lock' },
    /input 'lock-names'.*Lease name/,
  ],
  ['mode', { mode: 'yolo' }, /input 'mode'.*one of plan, apply, auto/],
  ['plan (apply without it)', { mode: 'apply' }, /input 'plan' is required/],
];

describe('dr-test bad input', () => {
  it.each(cases)('%s', async (_name, over, why) => {
    sim.clearJournal();
    const inputs: Record<string, string> = {
      kubeconfig: sim.kubeconfigPath,
      destination: archives,
      'database-url': 'postgres://u@127.0.0.1:9/pqc_audit',
      ...over,
    };
    if (inputs['failover-manifests'] === '<no-kind>')
      inputs['failover-manifests'] = noKind;
    const r = await runProcedure(drTest, inputs, {
      ...process.env,
      RUNNER_TEMP: tmp,
    });
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).toMatch(why);
    expect(r.failure?.split('\n')).toHaveLength(1);
    expect(sim.journal).toEqual([]);
    expect(r.result.status).toBe('failed');
  });
});
