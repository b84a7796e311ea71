// incident's bad inputs, each refused before anything is contacted, with a
// message naming the input and the accepted form (and never a secret value).
import { describe, expect, it } from 'vitest';
import { incident } from '../../../src/procedures/incident/procedure.js';
import { runProcedure } from '../../helpers/procedure.js';

// Nothing listens here: a run that got past its inputs would fail otherwise.
const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9', insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;

describe('incident inputs', () => {
  it.each([
    [
      {},
      /input 'procedure' is required: give one of outage, data-corruption, security-incident/,
    ],
    [
      { procedure: 'reboot' },
      /input 'procedure' has an invalid value "reboot" .*expected one of outage, data-corruption, security-incident/,
    ],
    [
      { procedure: 'outage', 'scale-to': '0' },
      /input 'scale-to' .*a whole number from 1 to 1000/,
    ],
    [
      { procedure: 'outage', 'log-lines': 'all' },
      /input 'log-lines' .*a whole number from 1 to 100000/,
    ],
    [
      { procedure: 'outage', timeout: '5 minutes' },
      /input 'timeout' .*a duration/,
    ],
    [
      { procedure: 'outage', 'alert-webhook': 'ftp://hooks' },
      /input 'alert-webhook' has an invalid value \(value hidden\)/,
    ],
    [
      { procedure: 'security-incident' },
      /input 'keys' is required for security-incident/,
    ],
    [
      { procedure: 'security-incident', keys: 'A B' },
      /input 'keys' .*Secret keys/,
    ],
    [
      {
        procedure: 'security-incident',
        keys: 'A',
        'keep-previous-values': 'true',
      },
      /input 'keep-previous-values' needs 'age-recipients'/,
    ],
    [
      {
        procedure: 'security-incident',
        'secret-values': 'no equals sign here',
      },
      /input 'secret-values' has an invalid value \(value hidden\)/,
    ],
    [
      { procedure: 'security-incident', keys: 'A', 'debug-env': 'LOG_LEVEL' },
      /input 'debug-env' .*NAME=value settings/,
    ],
    [
      {
        procedure: 'security-incident',
        keys: 'A',
        'age-recipients': 'age1nope',
      },
      /age-recipients/,
    ],
    [
      { procedure: 'data-corruption', 'database-url': 'postgres://u@h/db' },
      /input 'destination' is required for data-corruption/,
    ],
    [
      {
        procedure: 'data-corruption',
        destination: '/tmp',
        'database-url': 'postgres://u@h/db',
        'emergency-prefix': 'pqc-audit-backup',
      },
      /input 'emergency-prefix' must differ from 'prefix'/,
    ],
    [
      { procedure: 'data-corruption', 'not-after': 'yesterday' },
      /input 'not-after' has an invalid value "yesterday" .*an ISO 8601 time/,
    ],
    [
      { procedure: 'data-corruption', destination: '/tmp' },
      /input 'database-url'/,
    ],
    [
      { procedure: 'outage', mode: 'apply' },
      /input 'plan' is required for mode apply/,
    ],
  ])('%j', async (given, why) => {
    const r = await runProcedure(incident, { kubeconfig, ...given });
    expect(r.failure).toMatch(why);
    expect(r.failureKind).toBe('configuration');
    expect(r.failure).not.toContain('no equals sign');
  });
});
