import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/client.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';

describe('kube.api: any client-node API class on the same connection', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ objects: [] });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('builds a generated API client that reaches the same server with the same credentials', async () => {
    const kube = await Kube.connect({
      kubeconfig: sim.kubeconfigPath,
      env: {},
      maskSecret: () => undefined,
    });
    const rbac = kube.api(kube.lib.RbacAuthorizationV1Api);
    const list = await kube.call('list cluster roles', () =>
      rbac.listClusterRole(),
    );
    expect(Array.isArray(list.items)).toBe(true);
    expect(
      sim.journal.some((r) =>
        r.path.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterroles'),
      ),
    ).toBe(true);
  });
});
