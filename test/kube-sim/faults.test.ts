/* eslint-disable @typescript-eslint/no-explicit-any -- parsed API objects in assertions */
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from './index.js';
import { FIXTURES, kubeConfig } from './test-helpers.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ manifests: [FIXTURES] });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
});

describe('fault injection and the journal', () => {
  it('serves a 429 with Retry-After once, then succeeds', async () => {
    const api = kubeConfig(sim).makeApiClient(CoreV1Api);
    sim.clearJournal();
    sim.faults.add({
      method: 'GET',
      path: '/api/v1/namespaces/pqc-audit/configmaps',
      status: 429,
      retryAfter: 2,
    });
    let err: any;
    await api
      .listNamespacedConfigMap({ namespace: 'pqc-audit' })
      .catch((e: unknown) => (err = e));
    expect(err.code).toBe(429);
    expect(err.headers['retry-after']).toBe('2');
    expect(JSON.parse(err.body)).toMatchObject({
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 2 },
    });
    const ok = await api.listNamespacedConfigMap({ namespace: 'pqc-audit' });
    expect(ok.items.length).toBeGreaterThan(0);
    expect(sim.journal.map((j) => j.status)).toEqual([429, 200]);
    expect(sim.journal[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/pqc-audit/configmaps',
      user: 'admin',
    });
  });

  it('drops a connection mid-body and before the response', async () => {
    const api = kubeConfig(sim).makeApiClient(CoreV1Api);
    sim.faults.add({ path: /\/pods$/, drop: 'mid-body' });
    await expect(
      api.listNamespacedPod({ namespace: 'pqc-audit' }),
    ).rejects.toThrow();
    sim.faults.add({ path: /\/pods$/, drop: 'before-response', times: 1 });
    await expect(
      api.listNamespacedPod({ namespace: 'pqc-audit' }),
    ).rejects.toThrow();
    expect(
      (await api.listNamespacedPod({ namespace: 'pqc-audit' })).items,
    ).toHaveLength(4);
  });

  it('adds latency and 500s; records writes only for mutations', async () => {
    const api = kubeConfig(sim).makeApiClient(CoreV1Api);
    sim.faults.add({
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      delayMs: 150,
    });
    const t = Date.now();
    await api.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'slow' } },
    });
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    sim.faults.add({
      path: '/api/v1/namespaces/default/configmaps/slow',
      status: 500,
      times: 2,
    });
    await expect(
      api.readNamespacedConfigMap({ name: 'slow', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 500 });
    await expect(
      api.readNamespacedConfigMap({ name: 'slow', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 500 });
    await api.readNamespacedConfigMap({ name: 'slow', namespace: 'default' });
    sim.clearJournal();
    await api.deleteNamespacedConfigMap({ name: 'slow', namespace: 'default' });
    expect(
      sim.writes().map((w) => `${w.method} ${w.path} ${w.status}`),
    ).toEqual(['DELETE /api/v1/namespaces/default/configmaps/slow 200']);
  });
});

describe('watch', () => {
  it('streams ADDED/MODIFIED/DELETED for a label selector', async () => {
    const w = new Watch(kubeConfig(sim));
    const seen: string[] = [];
    const ctl = await w.watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'w=1' },
      (type, obj: any) => seen.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await new Promise((r) => setTimeout(r, 50));
    sim.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w1', namespace: 'default', labels: { w: '1' } },
    });
    sim.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'other', namespace: 'default' },
    });
    sim.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w1', namespace: 'default', labels: { w: '1' } },
      data: { a: 'b' },
    });
    sim.remove('v1', 'ConfigMap', 'default', 'w1');
    await new Promise((r) => setTimeout(r, 100));
    ctl.abort();
    expect(seen).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
  });

  it('replays from a resourceVersion and answers 410 when too old', async () => {
    const rv = sim.get('v1', 'Namespace', undefined, 'default').metadata
      .resourceVersion;
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&timeoutSeconds=1`,
      { headers: { authorization: `Bearer ${sim.token}` } },
    );
    const text = await res.text();
    expect(JSON.parse(text.split('\n')[0])).toMatchObject({
      type: 'ERROR',
      object: { code: 410, reason: 'Expired' },
    });
    expect(Number(rv)).toBeGreaterThan(1);
  });
});
