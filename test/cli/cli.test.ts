import { describe, expect, it } from 'vitest';
import { cliMain } from '../../src/cli.js';
import { envName, parseFlags } from '../../src/cli/flags.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (s: string) => out.push(s),
      err: (s: string) => err.push(s),
      env,
    },
    out,
    err,
  };
}

describe('cli', () => {
  it('parses flags in both spellings and bare booleans', () => {
    const p = parseFlags([
      '--namespace',
      'ns',
      '--timeout=5m',
      '--self-heal',
      '--json',
    ]);
    expect(Object.fromEntries(p.flags)).toEqual({
      namespace: 'ns',
      timeout: '5m',
      'self-heal': 'true',
    });
    expect(p.json).toBe(true);
  });

  it('maps inputs to environment variables', () =>
    expect(envName('alert-webhook')).toBe('PQC_OPS_ALERT_WEBHOOK'));

  it('exits 2 on an unknown procedure, an unknown flag and a bad value', async () => {
    let t = io();
    expect(await cliMain(['nope'], t.io)).toBe(2);
    expect(t.err.join('\n')).toContain('unknown procedure or chain "nope"');
    t = io();
    expect(
      await cliMain(['scale', '--replicas', '2', '--colour', 'red'], t.io),
    ).toBe(2);
    expect(t.err.join('\n')).toContain('unknown option --colour');
    t = io();
    expect(await cliMain(['scale', '--replicas', 'many'], t.io)).toBe(2);
    expect(t.err.join('\n')).toContain(
      'input \'replicas\' has an invalid value "many"',
    );
  });

  it('prints help for a procedure with every input', async () => {
    const t = io();
    expect(await cliMain(['scale', '--help'], t.io)).toBe(0);
    expect(t.out.join('\n')).toContain('--replicas (required)');
    expect(t.out.join('\n')).toContain('--mode (default: plan)');
  });
});
