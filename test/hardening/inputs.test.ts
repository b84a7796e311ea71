// Hostile and mistaken inputs, through the bundled actions as the runner runs
// them: each is refused at once, with one error line naming the input, and
// nothing is touched.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { actionEntry, runBundle, type BundleRun } from '../helpers/bundle.js';
import { filesUnder } from '../helpers/procedure.js';
import { makeArchive } from '../archive/make-archive.js';
import { namespace } from '../helpers/kube-objects.js';

/** A hang must fail the test, not stall it. */
const QUICK_MS = 30_000;

let sim: KubeSim;

beforeAll(async () => {
  for (const a of ['backup', 'backup-verify', 'restore', 'health'])
    actionEntry(a);
  sim = await startKubeSim({
    objects: [namespace('pqc-audit')],
  });
  await sim.settle();
}, 120_000);
afterAll(async () => sim?.close());

/** The step failed with exactly one error line; returns it. */
function oneErrorLine(r: BundleRun): string {
  expect(r.code, r.stdout).toBe(1);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors, r.stdout).toHaveLength(1);
  return errors[0] ?? '';
}

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const t = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t };
}

describe('hardening: inputs (bundles)', () => {
  it('a newline in destination cannot inject a workflow command', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hard-nl-'));
    const destination = `${base}/x\n::warning::pwned`;
    const r = await runBundle('backup', {
      include: 'database',
      'database-url': 'postgres://u@127.0.0.1:1/pqc_audit',
      destination,
    });
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup: invalid configuration: /);
    expect(line).toMatch(/input 'destination'.*control character/);
    const lines = [...r.stdout.split('\n'), ...r.stderr.split('\n')];
    expect(lines.filter((l) => /^\s*::warning::pwned/.test(l))).toEqual([]);
    expect(lines.filter((l) => /^\s*::warning::/.test(l))).toEqual([]);
    expect(r.summary.split('\n').some((l) => l.startsWith('::'))).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });

  it('restore safety-prefix ../../tmp/evil is refused naming safety-prefix, nothing written outside', async () => {
    const sandbox = mkdtempSync(join(tmpdir(), 'hard-sp-'));
    const dest = join(sandbox, 'a', 'b');
    mkdirSync(dest, { recursive: true });
    const a = await makeArchive({
      dir: dest,
      nameAt: new Date(Date.now() - 3_600_000),
    });
    const before = filesUnder(sandbox).sort();
    const evil = join(dest, '..', '..', 'tmp');
    for (const mode of ['plan', 'auto']) {
      const r = await runBundle('restore', {
        destination: dest,
        components: 'database',
        'database-url': 'postgres://u@127.0.0.1:1/pqc_audit',
        'safety-prefix': '../../tmp/evil',
        mode,
      });
      const line = oneErrorLine(r);
      expect(line).toMatch(/^::error::restore: invalid configuration: /);
      expect(line).toContain("input 'safety-prefix'");
      expect(line).not.toContain("input 'prefix'");
    }
    expect(filesUnder(sandbox).sort()).toEqual(before);
    expect(before).toEqual([a.path]);
    expect(existsSync(evil)).toBe(false);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('evil'))).toEqual([]);
  });

  it('lock-duration 80d and 0s are refused, stating the bounds', async () => {
    for (const procedure of ['backup', 'restore']) {
      for (const value of ['80d', '0s']) {
        const base = mkdtempSync(join(tmpdir(), 'hard-ld-'));
        const r = await runBundle(procedure, {
          include: 'database',
          components: 'database',
          'database-url': 'postgres://u@127.0.0.1:1/pqc_audit',
          destination: join(base, 'dest'),
          'lock-duration': value,
        });
        const line = oneErrorLine(r);
        expect(line).toContain(
          `input 'lock-duration' has an invalid value "${value}"`,
        );
        expect(line).toMatch(/from 1m to 7d/);
        expect(existsSync(join(base, 'dest'))).toBe(false);
      }
    }
  });

  it('health timeout 30d is refused, stating its bound', async () => {
    sim.clearJournal();
    const r = await runBundle('health', {
      kubeconfig: sim.kubeconfigPath,
      'crypto-check': 'none',
      timeout: '30d',
    });
    const line = oneErrorLine(r);
    expect(line).toContain(`input 'timeout' has an invalid value "30d"`);
    expect(line).toMatch(/from 1s to 24d/);
    expect(r.outputs['status']).toBe('unknown');
    expect(sim.journal).toEqual([]);
  });

  it('restore plan /dev/zero (mode apply) is refused at once, naming plan', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'hard-plan-'));
    await makeArchive({ dir: dest, nameAt: new Date(Date.now() - 3_600_000) });
    const { value: r, ms } = await timed(() =>
      runBundle(
        'restore',
        {
          destination: dest,
          components: 'database',
          'database-url': 'postgres://u@127.0.0.1:1/pqc_audit',
          mode: 'apply',
          plan: '/dev/zero',
        },
        {},
        QUICK_MS,
      ),
    );
    const line = oneErrorLine(r);
    expect(line).toMatch(
      /^::error::restore: invalid configuration: input 'plan': \/dev\/zero is not a regular file/,
    );
    expect(ms).toBeLessThan(15_000);
    expect(readdirSync(dest)).toHaveLength(1);
  });

  it('backup-verify archive /dev/zero fails at once', async () => {
    const { value: r, ms } = await timed(() =>
      runBundle('backup-verify', { archive: '/dev/zero' }, {}, QUICK_MS),
    );
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup-verify: /);
    expect(line).toContain('/dev/zero');
    expect(line).toMatch(/not a regular file|not an archive|archive/);
    expect(r.outputs['verified']).toBe('false');
    expect(ms).toBeLessThan(15_000);
  });

  it('a malformed database-url fails before the Lease is taken and before the destination is created', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hard-url-'));
    const destination = join(base, 'dest');
    sim.clearJournal();
    const r = await runBundle('backup', {
      kubeconfig: sim.kubeconfigPath,
      include: 'database',
      'database-url': 'postgres://admin:s3cret-pw-Kq7@[::1/pqc_audit',
      destination,
    });
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup: invalid configuration: /);
    expect(line).toContain("input 'database-url'");
    // the runner consumes ::add-mask:: lines; nothing else may show the password
    expect(r.allWritten().replace(/^::add-mask::.*$/gm, '')).not.toContain(
      's3cret-pw-Kq7',
    );
    // Both at once, so a failure shows everything the run touched.
    expect({
      destinationCreated: existsSync(destination),
      leaseRequests: sim.journal
        .filter((j) => j.path.includes('/leases'))
        .map((j) => `${j.method} ${j.path}`),
      writes: sim.writes().map((w) => `${w.method} ${w.path}`),
    }).toEqual({ destinationCreated: false, leaseRequests: [], writes: [] });
  });

  it('a destination that cannot be created (a file in the way) names destination and says why in words', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hard-dest-'));
    const file = join(base, 'a-file');
    writeFileSync(file, 'in the way');
    const cases: [string, RegExp][] = [
      [file, /a file, not a directory, is in the way|is not a directory/],
      [join(file, 'sub'), /a part of the path is a file, not a directory/],
    ];
    for (const [destination, why] of cases) {
      const r = await runBundle('backup', {
        include: 'database',
        'database-url': 'postgres://u@127.0.0.1:1/pqc_audit',
        destination,
      });
      const line = oneErrorLine(r);
      expect(line).toMatch(/^::error::backup: invalid configuration: /);
      expect(line).toContain("input 'destination'");
      expect(line).toContain(destination);
      expect(line).toMatch(why);
      // not a bare errno code as the only explanation
      expect(line).not.toMatch(/: (ENOTDIR|EEXIST|ENOENT|EACCES)\b\s*$/);
    }
    expect(readdirSync(dirname(file))).toEqual(['a-file']);
  });

  it('backup-verify max-age failure states the limit', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'hard-age-'));
    await makeArchive({
      dir: dest,
      nameAt: new Date(Date.now() - 3 * 86_400_000),
    });
    const r = await runBundle('backup-verify', {
      destination: dest,
      'max-age': '26h',
    });
    const line = oneErrorLine(r);
    expect(line).toMatch(/^::error::backup-verify: archive age: /);
    expect(line).toMatch(/72\.0 h/);
    // the limit it broke, in the one line the reader sees
    expect(line).toMatch(/26(\.0)? ?h/);
    const check = (
      JSON.parse(r.outputs['result'] ?? '') as {
        checks: { name: string; status: string; threshold?: string }[];
      }
    ).checks.find((c) => c.name === 'archive age');
    expect(check?.status).toBe('failed');
    expect(check?.threshold).toBe('at most 26 h');
    expect(r.summary).toContain('at most 26 h');
  });
});
