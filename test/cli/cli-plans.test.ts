// The operator's path through the real CLI (dist/cli/index.js) against
// kube-sim: a plan says where it is and the exact command that applies it;
// `pqc-ops apply` repeats the run the plan was made by, refuses drift, asks
// on a terminal (answered through a real pseudo-terminal) unless --yes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { cliEntry } from '../helpers/cli.js';
import { deployment, namespace } from '../helpers/kube-objects.js';

const ns = 'pqc-audit';
let sim: KubeSim;
let cwd: string;

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'pqc-audit:1',
      }),
    ],
  });
  await sim.settle();
});
afterAll(async () => sim?.close());
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'pqc-ops-cli-'));
  return () => rmSync(cwd, { recursive: true, force: true });
});

const replicas = () =>
  sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas as number;

/** The CLI as a user runs it, from `cwd`; `tty` runs it inside `script` (a real pty). */
function cli(
  args: string[],
  opts: { input?: string; tty?: boolean } = {},
): Promise<{ code: number; out: string; err: string }> {
  const argv = [process.execPath, cliEntry(), ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = opts.tty
    ? spawn('script', ['-qfec', quoted, '/dev/null'], {
        cwd,
        env: { PATH: process.env['PATH'] ?? '', TERM: 'dumb' },
      })
    : spawn(argv[0], argv.slice(1), {
        cwd,
        env: { PATH: process.env['PATH'] ?? '' },
      });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  if (opts.input !== undefined) {
    // answer once the prompt is up
    const timer = setInterval(() => {
      if ((out + err).includes("Type 'yes'")) {
        clearInterval(timer);
        child.stdin.write(opts.input);
      }
    }, 50);
    child.on('close', () => clearInterval(timer));
  } else child.stdin.end();
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, out, err })),
  );
}

async function plan(to: string) {
  const p = await cli([
    'scale',
    '--kubeconfig',
    sim.kubeconfigPath,
    '--replicas',
    to,
  ]);
  expect(p.code, p.err).toBe(0);
  const m = /\n {2}(pqc-ops apply (\S+) --plan-sha256 ([0-9a-f]{64}))\n?$/.exec(
    p.err,
  );
  expect(m, p.err).not.toBeNull();
  return { command: m![1], file: m![2], sha: m![3] };
}

describe('pqc-ops plans and apply (the real CLI)', () => {
  it('a plan goes to ./pqc-ops-plans (0700) and the printed command applies it', async () => {
    const p = await plan('4');
    expect(p.file.startsWith(join(cwd, 'pqc-ops-plans'))).toBe(true);
    expect(statSync(join(cwd, 'pqc-ops-plans')).mode & 0o777).toBe(0o700);
    expect(statSync(p.file).mode & 0o777).toBe(0o600);
    expect(replicas()).toBe(2);
    const args = p.command.split(' ').slice(1);
    const a = await cli(args);
    expect(a.code, a.err).toBe(0);
    expect(replicas()).toBe(4);
    expect(readdirSync(join(cwd, 'pqc-ops-results', 'results')).length).toBe(2);
    sim.apply({
      ...sim.get('apps/v1', 'Deployment', ns, 'pqc-audit'),
      spec: {
        ...sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec,
        replicas: 2,
      },
    });
    await sim.settle();
  });

  it('apply refuses a plan whose Deployment drifted, changing nothing', async () => {
    const p = await plan('5');
    const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
    sim.apply({ ...d, spec: { ...d.spec, replicas: 3 } });
    await sim.settle();
    const a = await cli(['apply', p.file, '--plan-sha256', p.sha]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/the live state drifted since the plan was approved/);
    expect(replicas()).toBe(3);
    sim.apply({ ...d, spec: { ...d.spec, replicas: 2 } });
    await sim.settle();
  });

  it('on a terminal it asks: only "yes" applies; --yes skips the question', async () => {
    const p = await plan('6');
    const no = await cli(['apply', p.file], { tty: true, input: 'no\n' });
    expect(no.out).toContain(
      `Apply plan ${p.sha.slice(0, 12)} of scale (1 change)`,
    );
    expect(no.out).toMatch(/the apply was not confirmed: nothing was changed/);
    expect(no.code).toBe(1);
    expect(replicas()).toBe(2);
    const yes = await cli(['apply', p.file], { tty: true, input: 'yes\n' });
    expect(yes.code, yes.out).toBe(0);
    expect(replicas()).toBe(6);
    const back = await plan('2');
    const skip = await cli(['apply', back.file, '--yes'], { tty: true });
    expect(skip.out).not.toContain("Type 'yes'");
    expect(skip.code, skip.out).toBe(0);
    expect(replicas()).toBe(2);
  });

  it('show renders a plan (and says when it was edited) and a result file', async () => {
    const p = await plan('7');
    const shown = await cli(['show', p.file]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('### Plan of scale');
    expect(shown.out).toContain(`sha256 ${p.sha} (matches the file)`);
    const results = join(cwd, 'pqc-ops-results', 'results');
    const r = await cli(['show', join(results, readdirSync(results)[0])]);
    expect(r.out).toMatch(/scale/);
    const bad = await cli(['show', join(cwd, 'nothing.json')]);
    expect(bad.code).toBe(2);
  });
});

describe('pqc-ops leaves the temp directory as it found it', () => {
  it('a plan and its apply write nothing to TMPDIR', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pqc-ops-cli-tmp-'));
    try {
      const argv = [
        cliEntry(),
        'scale',
        '--kubeconfig',
        sim.kubeconfigPath,
        '--replicas',
        '3',
        '--mode',
        'auto',
      ];
      const child = spawn(process.execPath, argv, {
        cwd,
        env: { PATH: process.env['PATH'] ?? '', TMPDIR: tmp },
      });
      child.stdin.end();
      const code = await new Promise((r) => child.on('close', r));
      expect(code).toBe(0);
      expect(replicas()).toBe(3);
      // Only Node's own compile cache, shared by every later run (not per-run debris).
      expect(readdirSync(tmp)).toEqual(['node-compile-cache']);
      expect(readdirSync(cwd).sort()).toEqual([
        'pqc-ops-plans',
        'pqc-ops-results',
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
      sim.apply({ ...d, spec: { ...d.spec, replicas: 2 } });
      await sim.settle();
    }
  });
});

describe('pqc-ops --version and completion', () => {
  it('--version names the version and the build', async () => {
    const v = await cli(['--version']);
    expect(v.out.trim()).toMatch(
      /^pqc-ops \d+\.\d+\.\d+ \(source [0-9a-f]{12}(, commit \S+)?\)$/,
    );
  });

  it('completion bash is valid bash and completes procedures and their inputs', async () => {
    const c = await cli(['completion', 'bash']);
    expect(c.code).toBe(0);
    const check = spawn('bash', [
      '-c',
      `${c.out}\nCOMP_WORDS=(pqc-ops scale --rep); COMP_CWORD=2; _pqc_ops; echo "\${COMPREPLY[@]}"; COMP_WORDS=(pqc-ops ce); COMP_CWORD=1; _pqc_ops; echo "\${COMPREPLY[@]}"`,
    ]);
    let out = '';
    check.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => check.on('close', r));
    expect(code).toBe(0);
    expect(out.split('\n')).toEqual(['--replicas', 'cert-rotate', '']);
    for (const sh of ['zsh', 'fish']) {
      const s = await cli(['completion', sh]);
      expect(s.code).toBe(0);
      expect(s.out).toContain('cert-rotate');
      expect(s.out).toContain('replicas');
    }
    expect((await cli(['completion', 'tcsh'])).code).toBe(2);
  });
});
