// StatefulSets and DaemonSets: served (CRUD, selectors, scale, discovery,
// kubectl get) so that procedures reading every workload kind can be
// tested; no controller creates their pods.
import { AppsV1Api, type V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index.js';
import { kubeConfig, kubectl } from './test-helpers.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db' } },
    ],
  });
});
afterAll(async () => sim?.close());

const template = {
  metadata: { labels: { app: 'postgres' } },
  spec: { containers: [{ name: 'postgres', image: 'postgres:15' }] },
};

describe('apps/v1 StatefulSet and DaemonSet', () => {
  it('creates, lists by label, scales and deletes them through client-node', async () => {
    const apps = kubeConfig(sim).makeApiClient(AppsV1Api);
    const sts: V1StatefulSet = {
      metadata: { name: 'postgres', labels: { tier: 'db' } },
      spec: {
        replicas: 1,
        serviceName: 'postgres',
        selector: { matchLabels: { app: 'postgres' } },
        template,
      },
    };
    const created = await apps.createNamespacedStatefulSet({
      namespace: 'db',
      body: sts,
    });
    expect(created.metadata?.uid).toBeTruthy();
    await apps.createNamespacedDaemonSet({
      namespace: 'db',
      body: {
        metadata: { name: 'agent' },
        spec: { selector: { matchLabels: { app: 'postgres' } }, template },
      },
    });
    const list = await apps.listNamespacedStatefulSet({
      namespace: 'db',
      labelSelector: 'tier=db',
    });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['postgres']);
    const ds = await apps.listDaemonSetForAllNamespaces();
    expect(
      ds.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`),
    ).toEqual(['db/agent']);
    const scaled = await apps.replaceNamespacedStatefulSetScale({
      name: 'postgres',
      namespace: 'db',
      body: { metadata: { name: 'postgres' }, spec: { replicas: 3 } },
    });
    expect(scaled.spec?.replicas).toBe(3);
    await apps.deleteNamespacedDaemonSet({ name: 'agent', namespace: 'db' });
    expect(
      (await apps.listNamespacedDaemonSet({ namespace: 'db' })).items,
    ).toEqual([]);
  });

  it('kubectl knows them by their short names', async () => {
    const r = await kubectl(sim.kubeconfigPath, [
      'get',
      'sts',
      '-n',
      'db',
      '-o',
      'name',
    ]);
    expect(r.stdout.trim()).toBe('statefulset.apps/postgres');
  });
});
