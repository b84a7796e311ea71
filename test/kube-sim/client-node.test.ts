import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from './index.js';
import { FIXTURES, kubeConfig, status } from './test-helpers.js';

let sim: KubeSim;
let core: CoreV1Api;
beforeAll(async () => {
  sim = await startKubeSim({ manifests: [FIXTURES] });
  await sim.settle();
  core = kubeConfig(sim).makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sim?.close();
});

describe('CoreV1Api', () => {
  it('lists pods with label and field selectors', async () => {
    const all = await core.listNamespacedPod({ namespace: 'pqc-audit' });
    expect(all.items).toHaveLength(4);
    const audit = await core.listNamespacedPod({
      namespace: 'pqc-audit',
      labelSelector: 'app=pqc-audit',
    });
    expect(audit.items).toHaveLength(3);
    const p = audit.items[0];
    expect(p.metadata!.name).toMatch(/^pqc-audit-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(p.metadata!.ownerReferences![0].kind).toBe('ReplicaSet');
    expect(p.metadata!.labels!['pod-template-hash']).toBeTruthy();
    expect(p.status!.phase).toBe('Running');
    expect(p.status!.containerStatuses![0].restartCount).toBe(0);
    expect(p.spec!.nodeName).toBe('sim-node-1');
    const notin = await core.listNamespacedPod({
      namespace: 'pqc-audit',
      labelSelector: 'app notin (pqc-audit),!nope',
    });
    expect(notin.items.map((i) => i.metadata!.labels!.app)).toEqual([
      'postgres',
    ]);
    const running = await core.listPodForAllNamespaces({
      fieldSelector: 'status.phase=Running,spec.nodeName=sim-node-1',
    });
    expect(running.items).toHaveLength(4);
    const bad = await status(
      core.listNamespacedPod({
        namespace: 'pqc-audit',
        fieldSelector: 'spec.bogus=1',
      }),
    );
    expect(bad.code).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.bogus');
  });

  it('creates, reads, replaces, patches and deletes configmaps', async () => {
    const ns = 'pqc-audit';
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cm1', labels: { a: '1' } }, data: { k: 'v' } },
    });
    expect(created.metadata!.uid).toBeTruthy();
    const dup = await status(
      core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'cm1' } },
      }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'configmaps "cm1" already exists',
    });
    const read = await core.readNamespacedConfigMap({
      name: 'cm1',
      namespace: ns,
    });
    read.data = { k: 'v2' };
    const replaced = await core.replaceNamespacedConfigMap({
      name: 'cm1',
      namespace: ns,
      body: read,
    });
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(
      Number(read.metadata!.resourceVersion),
    );
    const stale = await status(
      core.replaceNamespacedConfigMap({
        name: 'cm1',
        namespace: ns,
        body: read,
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    const j = await core.patchNamespacedConfigMap({
      name: 'cm1',
      namespace: ns,
      body: [{ op: 'add', path: '/data/j', value: 'x' }],
    });
    expect(j.data).toEqual({ k: 'v2', j: 'x' });
    const m = await core.patchNamespacedConfigMap(
      { name: 'cm1', namespace: ns, body: { data: { j: null, m: 'y' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(m.data).toEqual({ k: 'v2', m: 'y' });
    const s = await core.patchNamespacedConfigMap(
      {
        name: 'cm1',
        namespace: ns,
        body: { metadata: { labels: { b: '2' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(s.metadata!.labels).toEqual({ a: '1', b: '2' });
    const a = await core.patchNamespacedConfigMap(
      {
        name: 'cm2',
        namespace: ns,
        fieldManager: 'test',
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cm2' },
          data: { x: '1' },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(a.data).toEqual({ x: '1' });
    const objBody = await status(
      core.patchNamespacedConfigMap({
        name: 'cm1',
        namespace: ns,
        body: { data: {} },
      }),
    );
    expect(objBody.code).toBe(400);
    const failing = await status(
      core.patchNamespacedConfigMap({
        name: 'cm1',
        namespace: ns,
        body: [{ op: 'test', path: '/data/k', value: 'nope' }],
      }),
    );
    expect(failing.code).toBe(422);
    expect(failing.body.reason).toBe('Invalid');
    const del = await core.deleteNamespacedConfigMap({
      name: 'cm1',
      namespace: ns,
    });
    expect(del.status).toBe('Success');
    const gone = await status(
      core.readNamespacedConfigMap({ name: 'cm1', namespace: ns }),
    );
    expect(gone.code).toBe(404);
    expect(gone.body).toMatchObject({
      reason: 'NotFound',
      message: 'configmaps "cm1" not found',
      details: { name: 'cm1', kind: 'configmaps' },
    });
  });

  it('validates names and namespaces (422, 404)', async () => {
    const bad = await status(
      core.createNamespacedSecret({
        namespace: 'default',
        body: { metadata: { name: 'Bad_Name' } },
      }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body.message).toMatch(
      /^Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(bad.body.details.causes[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
    });
    const nons = await status(
      core.createNamespacedSecret({
        namespace: 'nope',
        body: { metadata: { name: 's' } },
      }),
    );
    expect(nons.code).toBe(404);
    expect(nons.body.message).toBe('namespaces "nope" not found');
  });

  it('handles secrets, events, namespaces', async () => {
    const s = await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 's1' }, stringData: { p: 'q' } },
    });
    expect(s.data).toEqual({ p: Buffer.from('q').toString('base64') });
    expect(s.type).toBe('Opaque');
    await core.deleteNamespacedSecret({ name: 's1', namespace: 'default' });
    const ns = await core.createNamespace({
      body: { metadata: { name: 'tmp-ns' } },
    });
    expect(ns.status!.phase).toBe('Active');
    await core.createNamespacedConfigMap({
      namespace: 'tmp-ns',
      body: { metadata: { name: 'x' } },
    });
    const ev = await core.createNamespacedEvent({
      namespace: 'tmp-ns',
      body: {
        metadata: { name: 'e1' },
        involvedObject: { kind: 'ConfigMap', name: 'x', namespace: 'tmp-ns' },
        reason: 'Test',
        type: 'Normal',
        message: 'hi',
      },
    });
    expect(ev.reason).toBe('Test');
    const evs = await core.listNamespacedEvent({
      namespace: 'tmp-ns',
      fieldSelector: 'involvedObject.kind=ConfigMap,reason=Test',
    });
    expect(evs.items).toHaveLength(1);
    await core.deleteNamespace({ name: 'tmp-ns' });
    expect(sim.list('v1', 'ConfigMap', 'tmp-ns')).toEqual([]);
    const podEvents = await core.listNamespacedEvent({
      namespace: 'pqc-audit',
      fieldSelector: 'reason=Scheduled',
    });
    expect(podEvents.items.length).toBeGreaterThanOrEqual(4);
    expect(podEvents.items[0].involvedObject.kind).toBe('Pod');
    expect(podEvents.items[0].lastTimestamp).toBeTruthy();
  });

  it('paginates with limit/continue and expires tokens with 410', async () => {
    const first = await core.listNamespacedConfigMap({
      namespace: 'pqc-audit',
      limit: 1,
    });
    expect(first.items).toHaveLength(1);
    expect(first.metadata!._continue).toBeTruthy();
    const names = [first.items[0].metadata!.name];
    let cont = first.metadata!._continue;
    while (cont) {
      const page = await core.listNamespacedConfigMap({
        namespace: 'pqc-audit',
        limit: 1,
        _continue: cont,
      });
      names.push(...page.items.map((i) => i.metadata!.name));
      cont = page.metadata!._continue;
    }
    expect(names).toContain('pqc-audit-config');
    expect(names).toEqual([...names].sort());
    const again = await core.listNamespacedConfigMap({
      namespace: 'pqc-audit',
      limit: 1,
    });
    sim.expireContinueTokens();
    const expired = await status(
      core.listNamespacedConfigMap({
        namespace: 'pqc-audit',
        limit: 1,
        _continue: again.metadata!._continue,
      }),
    );
    expect(expired.code).toBe(410);
    expect(expired.body.reason).toBe('Expired');
  });

  it('returns 401 without a valid token', async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });
});
