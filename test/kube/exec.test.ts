import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/client.js';
import { PodRunner, withEnv } from '../../src/kube/exec.js';
import { terminateChildren } from '../../src/process/children.js';
import { runToEnd } from '../../src/process/runner.js';
import { processesMentioning } from '../helpers/processes.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { container, namespace, pod } from '../helpers/kube-objects.js';

let sim: KubeSim;
let kube: Kube;
let runner: PodRunner;
const ns = 'execenv';

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      pod({
        name: 'db',
        namespace: ns,
        containers: [
          container('db', 'postgres:15', {
            env: [{ name: 'FROM_POD', value: 'pod-value' }],
          }),
        ],
      }),
    ],
  });
  await sim.settle();
  kube = await Kube.connect({
    kubeconfig: sim.kubeconfigPath,
    retry: { baseMs: 20, maxMs: 200 },
  });
  runner = new PodRunner(kube, ns, 'db', 'db');
});
afterAll(async () => sim?.close());

/** The argv of the exec requests kube-sim received, in order. */
const execCommands = () =>
  sim.journal
    .filter((j) => j.path.endsWith('/exec'))
    .map((j) => {
      const c = j.query['command'];
      return Array.isArray(c) ? c : [c];
    });

describe('PodRunner passes the environment to the command in the pod', () => {
  it('an env var given to start() reaches the command, next to the pod own env', async () => {
    const tricky = `a b; $(echo no) "q" 'x' \\ * \nline2=still`;
    const r = await runToEnd(
      runner,
      [
        'sh',
        '-c',
        'printf "%s|%s|%s" "$GREETING" "$PGCONNECT_TIMEOUT" "$FROM_POD"',
      ],
      {
        env: { GREETING: tricky, PGCONNECT_TIMEOUT: '15' },
        timeoutMs: 20_000,
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${tricky}|15|pod-value`);
  });

  it('each assignment is its own argv item, wrapped by env with -- first (no shell)', async () => {
    sim.clearJournal();
    const r = await runToEnd(runner, ['printenv', 'A'], {
      env: { A: 'x y;z' },
      timeoutMs: 20_000,
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'x y;z\n' });
    expect(execCommands()).toEqual([['env', '--', 'A=x y;z', 'printenv', 'A']]);
  });

  it('without env the argv is sent unchanged', async () => {
    sim.clearJournal();
    const r = await runToEnd(runner, ['printenv', 'FROM_POD'], {
      timeoutMs: 20_000,
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'pod-value\n' });
    expect(execCommands()).toEqual([['printenv', 'FROM_POD']]);
  });

  it('a secret (PGPASSWORD) is refused instead of travelling in the exec URL', async () => {
    sim.clearJournal();
    await expect(
      runner.start(['psql'], { env: { PGPASSWORD: 's3cret' } }),
    ).rejects.toThrow(
      /refusing to pass PGPASSWORD through exec, where it would travel in the request URL/,
    );
    expect(execCommands()).toEqual([]);
    expect(JSON.stringify(sim.journal)).not.toContain('s3cret');
  });

  it('refuses names env would misread, and a command name with "="', () => {
    expect(() => withEnv(['true'], { 'A=B': 'x' })).toThrow(
      /invalid environment variable name "A=B"/,
    );
    expect(() => withEnv(['true'], { '': 'x' })).toThrow(/invalid/);
    expect(() => withEnv(['X=1'], { A: 'x' })).toThrow(/with "="/);
    expect(withEnv(['true'], {})).toEqual(['true']);
    expect(withEnv(['true'], undefined)).toEqual(['true']);
  });
});

describe('a cancel reaches commands running in pods', () => {
  it('terminateChildren() closes a running exec, so the remote command ends and done settles', async () => {
    const marker = `pqc-ops-cancel-${process.pid}-${Date.now()}`;
    const cmd = await runner.start(['sh', '-c', `exec sleep 30 # ${marker}`]);
    cmd.stdin.end();
    await waitFor(() => processesMentioning(marker).length > 0);
    const t0 = Date.now();
    terminateChildren();
    await cmd.done.catch(() => undefined);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(() => processesMentioning(marker).length === 0);
    expect(processesMentioning(marker)).toEqual([]);
  });
});

async function waitFor(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}
