// housekeeping end to end in kube-sim pod roots: files of exactly chosen
// ages, a symlink pointing outside, a file that changes between plan and
// apply; exactly the right files compressed and deleted, compressed files
// intact, nothing else touched; three pods with one whose exec fails.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  lutimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../../src/procedures/housekeeping/procedure.js';
import type { Plan } from '../../../src/plan/plan.js';
import type { StepResult } from '../../../src/report/step-result.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { container, namespace, pod } from '../../helpers/kube-objects.js';
import { run, runProcedure } from '../../helpers/procedure.js';

const ns = 'pqc-audit';
const H = 3_600_000;
const D = 24 * H;
let sim: KubeSim;
let runnerTemp: string;

function appPod(name: string) {
  return pod({
    name,
    namespace: ns,
    labels: { app: 'pqc-audit' },
    containers: [
      container('pqc-audit', 'pqc-audit:1', {
        volumeMounts: [{ name: 'logs', mountPath: '/var/log/pqc-audit' }],
      }),
    ],
    volumes: [{ name: 'logs', emptyDir: {} }],
  });
}

beforeAll(async () => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-hk-'));
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      appPod('pqc-audit-a'),
      appPod('pqc-audit-b'),
      appPod('pqc-audit-c'),
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());

/** Writes a file in a pod's root with a modification time `age` ago. */
function put(root: string, path: string, age: number, text?: string): void {
  const f = join(root, path);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, text ?? `${path}\n`.repeat(200));
  const t = new Date(Date.now() - age);
  utimesSync(f, t, t);
}

/** The seeded tree of one pod; returns its root. */
function seed(podName: string): string {
  const root = sim.podRoot(ns, podName);
  const L = '/var/log/pqc-audit';
  put(root, `${L}/app-6d23h.log`, 6 * D + 23 * H);
  put(root, `${L}/app-7d1h.log`, 7 * D + H, 'line ✓ 量子\n'.repeat(5000));
  put(root, `${L}/deep/worker-8d.log`, 8 * D);
  put(root, `${L}/changing.log`, 10 * D);
  put(root, `${L}/app-29d.log.gz`, 29 * D);
  put(root, `${L}/app-31d.log.gz`, 31 * D);
  put(root, `${L}/notes-40d.txt`, 40 * D);
  // Outside the given paths: an old log a symlink points to, and an old file.
  put(root, '/data/outside-40d.log', 40 * D);
  put(root, '/tmp/other-5d.tmp', 5 * D);
  for (const [link, to] of [
    [`${L}/outside.log`, '/data/outside-40d.log'],
    [`${L}/outside-dir`, '/data'],
  ] as const) {
    symlinkSync(to, join(root, link));
    const t = new Date(Date.now() - 40 * D);
    lutimesSync(join(root, link), t, t);
  }
  put(root, '/tmp/pqc-cache/scan-25h.json', 25 * H);
  put(root, '/tmp/pqc-cache/scan-23h.json', 23 * H);
  put(root, '/tmp/pqc-cache/deep/blob-2d.bin', 2 * D);
  return root;
}

/** Every file and link under the pod root's data directories: path -> digest. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      const st = lstatSync(p);
      const rel = p.slice(root.length);
      if (st.isSymbolicLink()) out.set(rel, `link ${st.mtimeMs}`);
      else if (st.isDirectory()) walk(p);
      else
        out.set(
          rel,
          `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`,
        );
    }
  };
  for (const d of ['var', 'tmp', 'data']) walk(join(root, d));
  return out;
}

const inputs = (more: Record<string, string>) => ({
  kubeconfig: sim.kubeconfigPath,
  vacuum: 'false',
  ...more,
});
const env = () => ({ ...process.env, RUNNER_TEMP: runnerTemp });

describe('housekeeping in pod roots', () => {
  it('plans per file with size and mtime, then applies exactly those, skipping a file changed since', async () => {
    const root = seed('pqc-audit-a');
    const original = readFileSync(
      join(root, '/var/log/pqc-audit/app-7d1h.log'),
    );
    const plan = await runProcedure(
      housekeeping,
      inputs({ pod: 'pqc-audit-a' }),
      env(),
    );
    expect(plan.failure, plan.logs.join('\n')).toBeUndefined();
    const doc = JSON.parse(plan.outputs['plan'] ?? '') as Plan;
    const L = '/var/log/pqc-audit';
    const obj = (p: string) => `file ${ns}/pqc-audit-a:${p}`;
    expect(
      doc.changes.map((c) => `${c.object} ${c.action.split(' ')[0]}`).sort(),
    ).toEqual(
      [
        `${obj(`${L}/app-31d.log.gz`)} delete`,
        `${obj(`${L}/app-7d1h.log`)} gzip`,
        `${obj(`${L}/changing.log`)} gzip`,
        `${obj(`${L}/deep/worker-8d.log`)} gzip`,
        `${obj('/tmp/pqc-cache/deep/blob-2d.bin')} delete`,
        `${obj('/tmp/pqc-cache/scan-25h.json')} delete`,
      ].sort(),
    );
    // Every byte is in the plan; the basis holds size and mtime per file.
    const c7 = doc.changes.find((c) => c.object === obj(`${L}/app-7d1h.log`));
    expect(c7?.action).toMatch(new RegExp(`^gzip \\(${original.length} bytes`));
    expect(c7?.undo).toMatch(/^gunzip /);
    const del = doc.changes.find((c) => c.object.endsWith('app-31d.log.gz'));
    expect(del?.undo).toMatch(/^cannot be undone/);
    const b7 = doc.basis.find((b) => b.object === c7?.object);
    expect(b7).toMatchObject({ onDrift: 'skip', versionKind: 'value' });
    expect(b7?.version).toMatch(
      new RegExp(`^f:${original.length}@\\d+\\.\\d+$`),
    );
    expect(plan.result.changes).toEqual([]);
    const planned = plan.result.checks.find(
      (c) => c.name === 'pod pqc-audit-a',
    );
    expect(planned?.threshold).toMatch(/GNU find .*, gzip \d/);
    expect(planned?.observed).toMatch(
      /^3 to compress .*, 3 to delete .*, 1 left alone$/,
    );

    appendFileSync(join(root, `${L}/changing.log`), 'one more line\n');
    const before = snapshot(root);
    sim.clearJournal();
    const apply = await runProcedure(
      housekeeping,
      inputs({
        pod: 'pqc-audit-a',
        mode: 'apply',
        plan: plan.outputs['plan-file'] ?? '',
        'plan-sha256': plan.outputs['plan-sha256'] ?? '',
      }),
      env(),
    );
    const r: StepResult = apply.result;
    expect(apply.failure).toBeUndefined();
    expect(r.status).toBe('warning');
    expect(r.checks.find((c) => c.name === 'drift')).toMatchObject({
      status: 'warning',
      detail: expect.stringContaining(`${obj(`${L}/changing.log`)} changed`),
    });
    expect(r.checks.find((c) => c.name === 'files')).toMatchObject({
      status: 'warning',
      observed: expect.stringMatching(
        /^2 compressed, 3 deleted, .* freed; 1 skipped$/,
      ),
    });
    expect(apply.outputs['compressed']).toBe('2');
    expect(apply.outputs['deleted']).toBe('3');
    expect(r.changes).toHaveLength(5);
    expect(r.checks.find((c) => c.name === 'files')?.detail ?? '').toContain(
      `pqc-audit-a:${L}/changing.log: changed since the plan`,
    );
    const after = snapshot(root);
    const changed = [...new Set([...before.keys(), ...after.keys()])]
      .filter((k) => before.get(k) !== after.get(k))
      .sort();
    expect(changed).toEqual(
      [
        `${L}/app-31d.log.gz`,
        `${L}/app-7d1h.log`,
        `${L}/app-7d1h.log.gz`,
        `${L}/deep/worker-8d.log`,
        `${L}/deep/worker-8d.log.gz`,
        '/tmp/pqc-cache/deep/blob-2d.bin',
        '/tmp/pqc-cache/scan-25h.json',
      ].sort(),
    );
    expect(after.has(`${L}/app-7d1h.log`)).toBe(false);
    const gz = join(root, `${L}/app-7d1h.log.gz`);
    expect((await run('gzip', ['-t', gz])).code).toBe(0);
    expect(gunzipSync(readFileSync(gz)).equals(original)).toBe(true);
    expect(Number(apply.outputs['bytes-freed'])).toBe(r.metrics['bytesFreed']);
    expect(r.metrics['bytesFreed']).toBeGreaterThan(original.length / 2);
    // The cluster heard exec upgrades and the Lease, nothing else.
    const writes = sim.writes().map((w) => `${w.method} ${w.path}`);
    expect(
      writes.every((w) => w.includes('/leases/') || w.endsWith('/leases')),
    ).toBe(true);
    const execs = sim.journal.filter((j) => j.path.endsWith('/exec'));
    expect(execs.length).toBeGreaterThan(0);
    expect(
      execs.every((j) =>
        ['find', 'gzip'].includes(String([j.query['command']].flat()[0])),
      ),
    ).toBe(true);
  });

  it('three pods, one whose exec fails: the other two are done and the failure is named', async () => {
    const roots = ['pqc-audit-b', 'pqc-audit-c'].map((p) => seed(p));
    sim.faults.add({
      path: `/api/v1/namespaces/${ns}/pods/pqc-audit-c/exec`,
      status: 500,
      message: 'container runtime is down',
      times: 1000,
    });
    try {
      const r = await runProcedure(
        housekeeping,
        inputs({ mode: 'auto' }),
        env(),
      );
      expect(r.result.status).toBe('failed');
      expect(r.failure).toMatch(
        /^housekeeping: pod pqc-audit-c: exec in pod pqc-audit\/pqc-audit-c \(container pqc-audit\): .*500/,
      );
      const byPod = (p: string) =>
        r.result.changes.filter((c) => c.where.includes(`/${p}:`)).length;
      // a was cleaned by the first test: only its young files are left.
      expect(byPod('pqc-audit-a')).toBe(0);
      expect(byPod('pqc-audit-b')).toBe(6);
      expect(byPod('pqc-audit-c')).toBe(0);
      expect(
        readdirSync(join(roots[0] ?? '', 'var/log/pqc-audit')).sort(),
      ).toContain('app-7d1h.log.gz');
      expect(readdirSync(join(roots[1] ?? '', 'var/log/pqc-audit'))).toContain(
        'app-7d1h.log',
      );
    } finally {
      sim.faults.clear();
    }
  });
});
