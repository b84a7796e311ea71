import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startKubeSim,
  type KubeSim,
  type PodBehavior,
} from '../../kube-sim/index.js';
import {
  startHttpEndpoint,
  startWebhookReceiver,
  type HttpEndpoint,
  type WebhookReceiver,
} from '../../services/index.js';
import { root, runBundle } from '../../helpers/bundle.js';
import {
  container,
  deployment,
  namespace,
} from '../../helpers/kube-objects.js';

const ns = 'pqc-audit';
const cryptoCommand = JSON.stringify([
  'node',
  '/opt/selftest/oqs-selftest.mjs',
  '/opt/liboqs-js/src/index.js',
  'ML-KEM-768',
  'ML-DSA-65',
]);

function pqcAudit(behavior: PodBehavior) {
  return deployment({
    name: 'pqc-audit',
    namespace: ns,
    deploymentLabels: { app: 'pqc-audit' },
    replicas: 3,
    progressDeadlineSeconds: 600,
    behavior,
    containers: [
      container('pqc-audit', 'ghcr.io/pqc-ops/pqc-audit:1.4.2', {
        resources: {
          requests: { cpu: '250m', memory: '256Mi' },
          limits: { cpu: '1', memory: '512Mi' },
        },
        volumeMounts: [
          {
            name: 'selftest',
            mountPath: '/opt/selftest',
            readOnly: true,
          },
          { name: 'liboqs', mountPath: '/opt/liboqs-js', readOnly: true },
        ],
      }),
    ],
    volumes: [
      {
        name: 'selftest',
        hostPath: { path: join(root, 'test', 'fixtures') },
      },
      {
        name: 'liboqs',
        hostPath: {
          path: join(root, 'node_modules', '@oqs', 'liboqs-js'),
        },
      },
    ],
  });
}

let app: HttpEndpoint;
let hook: WebhookReceiver;
const sims: KubeSim[] = [];

beforeAll(async () => {
  app = await startHttpEndpoint();
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await app?.close();
  await hook?.close();
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function cluster(behavior: PodBehavior, cpu = '300m'): Promise<KubeSim> {
  const sim = await startKubeSim({
    objects: [namespace(ns), pqcAudit(behavior)],
  });
  sims.push(sim);
  await sim.settle();
  for (const p of sim.list('v1', 'Pod', ns))
    sim.setPodMetrics(ns, p.metadata.name, [
      { name: 'pqc-audit', cpu, memory: '200Mi' },
    ]);
  return sim;
}

function inputs(sim: KubeSim, extra: Record<string, string> = {}) {
  return {
    kubeconfig: sim.kubeconfigPath,
    'health-url': `${app.url}/health`,
    'crypto-check': 'command',
    'crypto-command': cryptoCommand,
    timeout: '2s',
    ...extra,
  };
}

describe('health action (bundle) against kube-sim', () => {
  it('healthy: every check passes, outputs and summary say so', async () => {
    const sim = await cluster('ready');
    app.respond('/health', { status: 200, body: 'ok' });
    const r = await runBundle('health', inputs(sim));
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs['status']).toBe('healthy');
    const result = JSON.parse(r.outputs['result']);
    expect(
      result.checks.map(
        (c: { name: string; status: string }) => `${c.name}:${c.status}`,
      ),
    ).toEqual([
      'http:ok',
      'pods:ok',
      'deployment:ok',
      'cpu:ok',
      'memory:ok',
      'crypto:ok',
    ]);
    expect(
      result.checks.find((c: { name: string }) => c.name === 'crypto').observed,
    ).toContain('ML-KEM-768 round trip ok, ML-DSA-65 sign/verify ok');
    expect(r.summary.startsWith('### health: ✅ ok')).toBe(true);
    expect(r.summary.indexOf('| Check |')).toBeLessThan(
      r.summary.indexOf('#### Pods'),
    );
    expect(sim.writes().filter((w) => !w.path.endsWith('/exec'))).toEqual([]);
  });

  it('degraded: CPU over the threshold of the limit', async () => {
    const sim = await cluster('ready', '950m');
    app.respond('/health', { status: 200, body: 'ok' });
    const r = await runBundle(
      'health',
      inputs(sim, { 'cpu-threshold': '80%' }),
    );
    expect(r.code).toBe(0);
    expect(r.outputs['status']).toBe('degraded');
    const cpu = JSON.parse(r.outputs['result']).checks.find(
      (c: { name: string }) => c.name === 'cpu',
    );
    expect(cpu.status).toBe('warning');
    expect(cpu.observed).toMatch(/max 95% of limit/);
    const strict = await runBundle(
      'health',
      inputs(sim, { 'fail-on': 'degraded' }),
    );
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(
      /::error::health: pqc-audit\/pqc-audit is degraded: cpu: max 95%25 of limit/,
    );
  });

  it('unhealthy (crash loop), self-heal restarts, the new pods recover', async () => {
    const sim = await cluster('crashloop');
    sim.setDeploymentBehavior(ns, 'pqc-audit', 'ready');
    app.respond('/health', { status: 200, body: 'ok' });
    const r = await runBundle(
      'health',
      inputs(sim, {
        'self-heal': 'true',
        'heal-timeout': '60s',
        'alert-webhook': hook.url,
      }),
    );
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs['status']).toBe('healthy');
    const result = JSON.parse(r.outputs['result']);
    expect(result.changes[0].what).toMatch(/^rollout restart/);
    expect(
      result.checks.find((c: { name: string }) => c.name === 'self-heal')
        .status,
    ).toBe('ok');
    expect(r.summary).toContain('#### Before self-heal: unhealthy');
    expect(r.summary).toMatch(/CrashLoopBackOff/);
    const patch = sim
      .writes()
      .find(
        (w) =>
          w.method === 'PATCH' && w.path.endsWith('/deployments/pqc-audit'),
      );
    expect(patch?.headers['content-type']).toContain(
      'application/strategic-merge-patch+json',
    );
    expect(hook.received).toHaveLength(0);
  });

  it('self-heal that does not recover escalates to the webhook once, and the URL never leaks', async () => {
    const sim = await cluster('crashloop');
    app.respond('/health', {
      status: 503,
      body: 'database unavailable\nstack...',
    });
    const before = hook.received.length;
    const r = await runBundle(
      'health',
      inputs(sim, {
        'self-heal': 'true',
        'heal-timeout': '3s',
        retries: '1',
        'alert-webhook': hook.url,
      }),
    );
    expect(r.code).toBe(1);
    expect(r.outputs['status']).toBe('unhealthy');
    await hook.waitFor(before + 1, 5000);
    await new Promise((res) => setTimeout(res, 300));
    expect(hook.received.length - before).toBe(1);
    const payload = hook.received[before].body as {
      status: string;
      selfHealAttempted: boolean;
      failedChecks: { name: string }[];
    };
    expect(payload.status).toBe('unhealthy');
    expect(payload.selfHealAttempted).toBe(true);
    expect(payload.failedChecks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['http', 'pods', 'self-heal']),
    );
    const http = JSON.parse(r.outputs['result']).checks.find(
      (c: { name: string }) => c.name === 'http',
    );
    expect(http.detail).toContain('HTTP 503');
    expect(http.detail).toContain('body: database unavailable');
    expect(r.stdout).toContain(`::add-mask::${hook.url}`);
    const everything = r.allWritten().replace(`::add-mask::${hook.url}`, '');
    expect(everything).not.toContain(hook.token);
    expect(everything).not.toContain(hook.url);
  });

  it('the liboqs-python preset fails clearly and in bounded time in a pod without liboqs', async () => {
    const sim = await cluster('ready');
    const t = Date.now();
    const r = await runBundle('health', {
      kubeconfig: sim.kubeconfigPath,
      'crypto-timeout': '30s',
    });
    expect(r.code).toBe(1);
    const crypto = JSON.parse(r.outputs['result']).checks.find(
      (c: { name: string }) => c.name === 'crypto',
    );
    expect(crypto.status).toBe('failed');
    expect(crypto.observed).toMatch(
      /import oqs failed: ModuleNotFoundError: No module named 'oqs'/,
    );
    expect(Date.now() - t).toBeLessThan(30_000);
  });

  it('a missing metrics API is a warning, not a crash', async () => {
    const sim = await cluster('ready');
    sim.setMetricsMode('absent');
    const r = await runBundle('health', {
      kubeconfig: sim.kubeconfigPath,
      'crypto-check': 'none',
    });
    expect(r.code).toBe(0);
    expect(r.outputs['status']).toBe('healthy');
    expect(r.stdout).toContain('::warning::metrics.k8s.io is not served');
  });
});
