import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runBundle } from '../../helpers/bundle.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({
    manifests: [join(import.meta.dirname, '..', '..', 'kube-sim', 'fixtures')],
  });
});
afterAll(async () => sim?.close());

// One bad value per input: [input, value, what the message must say, extra inputs].
const cases: [string, string, RegExp, Record<string, string>?][] = [
  [
    'kubeconfig',
    '/no/such/kubeconfig',
    // Not a readable file, so taken (and masked) as inline content, never echoed.
    /input 'kubeconfig' is neither the path of a readable regular file nor inline kubeconfig/,
  ],
  ['context', 'prod-eu', /input 'context': no context named "prod-eu"/],
  [
    'namespace',
    'PQC_Audit',
    /input 'namespace' has an invalid value "PQC_Audit".*expected a Kubernetes name/,
  ],
  [
    'selector',
    'app in pqc',
    /input 'selector' has an invalid value "app in pqc".*expected a label selector/,
  ],
  ['deployment', '-web', /input 'deployment' has an invalid value "-web"/],
  [
    'health-url',
    'pqc-audit:8080/health',
    /input 'health-url' has an invalid value.*expected an http:\/\/ or https:\/\/ URL/,
  ],
  [
    'expected-status',
    '2000',
    /input 'expected-status' has an invalid value "2000".*from 100 to 599/,
  ],
  [
    'timeout',
    '10 parsecs',
    /input 'timeout' has an invalid value "10 parsecs".*a duration such as 30s/,
  ],
  ['retries', '-1', /input 'retries' has an invalid value "-1"/],
  [
    'crypto-check',
    'rsa',
    /input 'crypto-check' has an invalid value "rsa".*one of liboqs-python, none, command/,
  ],
  [
    'crypto-command',
    'python3 selftest.py',
    /input 'crypto-command' has an invalid value.*as a JSON or YAML list/,
    { 'crypto-check': 'command' },
  ],
  [
    'crypto-command',
    '',
    /input 'crypto-command' is required when crypto-check is command/,
    { 'crypto-check': 'command' },
  ],
  [
    'crypto-algorithms',
    'ML-KEM-768; rm -rf /',
    /input 'crypto-algorithms' has an invalid value.*algorithm names/,
  ],
  [
    'crypto-container',
    'Main Container',
    /input 'crypto-container' has an invalid value/,
  ],
  [
    'crypto-timeout',
    'soon',
    /input 'crypto-timeout' has an invalid value "soon"/,
  ],
  [
    'cpu-threshold',
    '80 percent',
    /input 'cpu-threshold' has an invalid value "80 percent".*a percentage such as 80%/,
  ],
  [
    'memory-threshold',
    '0%',
    /input 'memory-threshold' has an invalid value "0%"/,
  ],
  [
    'restart-threshold',
    '0',
    /input 'restart-threshold' has an invalid value "0"/,
  ],
  [
    'backup-dir',
    '/no/such/backups',
    /input 'backup-dir' has an invalid value.*an existing directory/,
  ],
  [
    'backup-max-age',
    '1 day',
    /input 'backup-max-age' has an invalid value "1 day"/,
  ],
  [
    'self-heal',
    'yes',
    /input 'self-heal' has an invalid value "yes".*true or false/,
  ],
  ['heal-timeout', '300', /input 'heal-timeout' has an invalid value "300"/],
  [
    'alert-webhook',
    'hooks.slack.example/T0/B0/secret-token-123',
    /input 'alert-webhook' has an invalid value \(value hidden\)/,
  ],
  [
    'fail-on',
    'always',
    /input 'fail-on' has an invalid value "always".*one of unhealthy, degraded, never/,
  ],
];

describe('health: every input rejects a bad value before touching the cluster', () => {
  it.each(cases)('%s = %j', async (name, value, message, extra = {}) => {
    sim.clearJournal();
    const inputs = { kubeconfig: sim.kubeconfigPath, ...extra, [name]: value };
    const r = await runBundle('health', inputs, {
      RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'bad-')),
    });
    expect(r.code).toBe(1);
    // Workflow commands escape % and newlines; decode as the runner does.
    const err = (
      r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    )
      .replace(/%0A/g, '\n')
      .replace(/%0D/g, '\r')
      .replace(/%25/g, '%');
    expect(err).toMatch(message);
    expect(err.split('\n')).toHaveLength(1);
    expect(sim.journal).toEqual([]);
    if (name === 'alert-webhook')
      expect(r.stdout.replace(`::add-mask::${value}`, '')).not.toContain(
        'secret-token-123',
      );
  });
});
