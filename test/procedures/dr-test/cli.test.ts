// `pqc-ops dr-test` (the real CLI bundle), for a DR test run from a laptop
// when GitHub is down: its flags in --help, a plan that changes nothing and
// prints the command that applies it, and that command applying exactly the
// plan with the secrets from the environment.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../helpers/cli.js';
import { fingerprint } from '../../helpers/procedure.js';
import { DB, startDrWorld, type DrWorld } from './world.js';

let w: DrWorld;
let cwd: string;

beforeAll(async () => {
  w = await startDrWorld();
  cwd = mkdtempSync(join(tmpdir(), 'pqc-ops-cli-dr-'));
}, 120_000);
afterAll(async () => {
  await w?.close();
  rmSync(cwd, { recursive: true, force: true });
});

function cli(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [cliEntry(), ...args], {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '',
      RUNNER_TEMP: cwd,
      PQC_OPS_AGE_IDENTITY: w.identity,
      PQC_OPS_DATABASE_URL: w.pg.url(DB),
    },
  });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, out, err })),
  );
}

describe('pqc-ops dr-test', () => {
  it('lists its flags', async () => {
    const h = await cli(['dr-test', '--help']);
    expect(h.code).toBe(0);
    for (const f of [
      '--rto-target',
      '--rpo-target',
      '--failover-manifests',
      '--dr-context',
      '--database-deployment',
    ])
      expect(h.out).toContain(f);
    expect(h.out).toMatch(
      /--age-identity.*\[secret: prefer PQC_OPS_AGE_IDENTITY\]/,
    );
  });

  it('plans without changing anything, then the printed command applies the plan', async () => {
    const changed = await fingerprint(w.pg, DB);
    const p = await cli([
      'dr-test',
      '--kubeconfig',
      w.sim.kubeconfigPath,
      '--destination',
      w.dest,
      '--health-url',
      `${w.app.url}/health`,
      '--timeout',
      '60s',
    ]);
    expect(p.code, p.err).toBe(0);
    expect(await fingerprint(w.pg, DB)).toEqual(changed);
    const m =
      /\n {2}(pqc-ops apply (\S+) --plan-sha256 ([0-9a-f]{64}))\n?$/.exec(
        p.err,
      );
    expect(m, p.err).not.toBeNull();
    const a = await cli(m![1].split(' ').slice(1));
    expect(a.code, a.err + a.out).toBe(0);
    expect(await fingerprint(w.pg, DB)).toEqual(w.archived);
    expect([w.replicas('postgres'), w.replicas('pqc-audit')]).toEqual([1, 2]);
    expect(a.out + a.err).toMatch(/DR test passed: RTO [\d.]+ s, RPO /);
    expect(a.out + a.err).not.toContain(w.identity);
  }, 120_000);
});
