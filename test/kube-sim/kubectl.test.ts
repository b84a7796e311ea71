/* eslint-disable @typescript-eslint/no-explicit-any -- parsed API objects in assertions */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from './index.js';
import { FIXTURES, kubectl } from './test-helpers.js';

let sim: KubeSim;
const k = (args: string[], input?: string) =>
  kubectl(sim.kubeconfigPath, ['-n', 'pqc-audit', ...args], { input });

beforeAll(async () => {
  sim = await startKubeSim({ manifests: [FIXTURES] });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
});

describe('kubectl 1.32 against the simulator', () => {
  it('gets objects as JSON', async () => {
    for (const [res, n] of [
      ['pods', 4],
      ['deployments', 2],
      ['configmaps', 2],
      ['certificates', 2],
    ] as const) {
      const r = await k(['get', res, '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const list = JSON.parse(r.stdout);
      expect(list.items.length).toBeGreaterThanOrEqual(n);
    }
    const table = await k(['get', 'deploy']);
    expect(table.stdout).toMatch(/pqc-audit\s+3\/3\s+3\s+3/);
  });

  it('creates from stdin and patches with json, merge and strategic', async () => {
    const c = await k(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: created\ndata:\n  a: b\n',
    );
    expect(c.stdout.trim()).toBe('configmap/created created');
    expect(
      (
        await k([
          'patch',
          'cm',
          'created',
          '--type',
          'json',
          '-p',
          '[{"op":"add","path":"/data/j","value":"1"}]',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await k([
          'patch',
          'cm',
          'created',
          '--type',
          'merge',
          '-p',
          '{"data":{"m":"2"}}',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await k([
          'patch',
          'deploy',
          'pqc-audit',
          '--type',
          'strategic',
          '-p',
          '{"metadata":{"labels":{"s":"3"}}}',
        ])
      ).code,
    ).toBe(0);
    expect(sim.get('v1', 'ConfigMap', 'pqc-audit', 'created').data).toEqual({
      a: 'b',
      j: '1',
      m: '2',
    });
    expect(
      sim.get('apps/v1', 'Deployment', 'pqc-audit', 'pqc-audit').metadata.labels
        .s,
    ).toBe('3');
    const bad = await k([
      'patch',
      'cm',
      'created',
      '--type',
      'json',
      '-p',
      '[{"op":"test","path":"/data/a","value":"x"}]',
    ]);
    expect(bad.code).toBe(1);
  });

  it('scales, restarts, waits for and undoes a rollout', async () => {
    expect(
      (await k(['scale', 'deploy/pqc-audit', '--replicas=2'])).stdout,
    ).toMatch(/scaled/);
    const restart = await k(['rollout', 'restart', 'deploy/pqc-audit']);
    expect(restart.stdout.trim()).toBe('deployment.apps/pqc-audit restarted');
    const st = await k([
      'rollout',
      'status',
      'deploy/pqc-audit',
      '--timeout=20s',
    ]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/successfully rolled out/);
    const d = sim.get('apps/v1', 'Deployment', 'pqc-audit', 'pqc-audit');
    expect(
      d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
    ).toBeTruthy();
    const rs = sim
      .list('apps/v1', 'ReplicaSet', 'pqc-audit')
      .filter((r) => r.metadata.name.startsWith('pqc-audit-'));
    expect(
      rs
        .map((r) => r.metadata.annotations['deployment.kubernetes.io/revision'])
        .sort(),
    ).toEqual(['1', '2']);
    const undo = await k(['rollout', 'undo', 'deploy/pqc-audit']);
    expect(undo.stdout.trim()).toBe('deployment.apps/pqc-audit rolled back');
    expect(
      (await k(['rollout', 'status', 'deploy/pqc-audit', '--timeout=20s']))
        .code,
    ).toBe(0);
    const after = sim.get('apps/v1', 'Deployment', 'pqc-audit', 'pqc-audit');
    expect(
      after.spec.template.metadata.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBeUndefined();
    expect(
      after.metadata.annotations['deployment.kubernetes.io/revision'],
    ).toBe('3');
  });

  it('reports a rollout that exceeds its progress deadline', async () => {
    sim.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck', namespace: 'pqc-audit' },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 1,
        selector: { matchLabels: { app: 'stuck' } },
        template: {
          metadata: {
            labels: { app: 'stuck' },
            annotations: { 'sim.pqc-ops.dev/behavior': 'stuck' },
          },
          spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
        },
      },
    });
    const st = await k(['rollout', 'status', 'deploy/stuck', '--timeout=20s']);
    expect(st.code).toBe(1);
    expect(st.stderr).toMatch(
      /deployment "stuck" exceeded its progress deadline/,
    );
    const d = sim.get('apps/v1', 'Deployment', 'pqc-audit', 'stuck');
    expect(
      d.status.conditions.find((c: any) => c.type === 'Progressing').reason,
    ).toBe('ProgressDeadlineExceeded');
  });

  it('execs with stdin and propagates exit codes', async () => {
    const echo = await k(
      ['exec', '-i', 'deploy/postgres', '--', 'cat'],
      'piped input\n',
    );
    expect(echo.code).toBe(0);
    expect(echo.stdout).toBe('piped input\n');
    const three = await k([
      'exec',
      'deploy/postgres',
      '--',
      'sh',
      '-c',
      'exit 3',
    ]);
    expect(three.code).toBe(3);
    expect(three.stderr).toMatch(/command terminated with exit code 3/);
    const ls = await k([
      'exec',
      'deploy/postgres',
      '-c',
      'postgres',
      '--',
      'ls',
      '/var/lib/postgresql/data',
      '/backup',
    ]);
    expect(ls.code).toBe(0);
  });

  it('reads logs with --tail and --previous', async () => {
    sim.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'crashy',
        namespace: 'pqc-audit',
        annotations: { 'sim.pqc-ops.dev/behavior': 'crashloop' },
      },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    });
    await sim.settle();
    sim.appendLog(
      'pqc-audit',
      'crashy',
      'app',
      'boom 1\nboom 2\npanic: db unreachable\n',
      { previous: true },
    );
    sim.appendLog('pqc-audit', 'crashy', 'app', 'starting\n');
    const prev = await k(['logs', 'crashy', '--previous', '--tail', '1']);
    expect(prev.stdout).toBe('panic: db unreachable\n');
    const cur = await k(['logs', 'crashy']);
    expect(cur.stdout).toBe('starting\n');
    const pod = sim.get('v1', 'Pod', 'pqc-audit', 'crashy');
    expect(pod.status.containerStatuses[0].state.waiting.reason).toBe(
      'CrashLoopBackOff',
    );
    expect(pod.status.containerStatuses[0].lastState.terminated.exitCode).toBe(
      1,
    );
    const none = await k(['logs', 'deploy/postgres', '--previous']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /previous terminated container "postgres" in pod "postgres-[a-z0-9-]+" not found/,
    );
  });

  it('answers auth can-i and top pod', async () => {
    const yes = await k([
      'auth',
      'can-i',
      'create',
      'pods',
      '--subresource=exec',
    ]);
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const top = await k(['top', 'pod']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    expect(top.stdout).toMatch(/pqc-audit-/);
  });
});

describe('kubectl with RBAC enforced', () => {
  it('allows what the Role grants and returns the exact 403', async () => {
    const s = await startKubeSim({ manifests: [FIXTURES], rbac: true });
    try {
      await s.settle();
      const sa = s.kubeconfigFor('system:serviceaccount:pqc-audit:pqc-ops');
      const run = (args: string[]) => kubectl(sa.path, args);
      const ok = await run(['-n', 'pqc-audit', 'get', 'pods', '-o', 'name']);
      expect(ok.code).toBe(0);
      const denied = await run(['-n', 'default', 'get', 'pods']);
      expect(denied.code).toBe(1);
      expect(denied.stderr.trim()).toBe(
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:pqc-audit:pqc-ops" cannot list resource "pods" in API group "" in the namespace "default"',
      );
      const cluster = await run(['get', 'nodes']);
      expect(cluster.stderr).toMatch(
        /nodes is forbidden: User "system:serviceaccount:pqc-audit:pqc-ops" cannot list resource "nodes" in API group "" at the cluster scope/,
      );
      expect(
        (
          await run(['-n', 'pqc-audit', 'auth', 'can-i', 'get', 'pods'])
        ).stdout.trim(),
      ).toBe('yes');
      const no = await run([
        '-n',
        'pqc-audit',
        'auth',
        'can-i',
        'delete',
        'pods',
      ]);
      expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
      expect(
        (
          await run([
            '-n',
            'pqc-audit',
            'auth',
            'can-i',
            'patch',
            'certificates.cert-manager.io',
            '--subresource=status',
          ])
        ).code,
      ).toBe(0);
      const ex = await run([
        '-n',
        'pqc-audit',
        'exec',
        'deploy/postgres',
        '--',
        'true',
      ]);
      expect(ex.code).toBe(0);
      const other = s.kubeconfigFor('jane');
      const exDenied = await kubectl(other.path, [
        '-n',
        'pqc-audit',
        'exec',
        'deploy/postgres',
        '--',
        'true',
      ]);
      expect(exDenied.code).toBe(1);
      expect(exDenied.stderr).toMatch(/forbidden/);
    } finally {
      await s.close();
    }
  });
});
