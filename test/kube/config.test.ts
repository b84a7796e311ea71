import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { Kube } from '../../src/kube/client.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }],
  });
});
afterAll(async () => sim?.close());

describe('kubeconfig sources', () => {
  it('inline YAML works, and its token is handed over for masking', async () => {
    const masked: string[] = [];
    const kube = await Kube.connect({
      kubeconfig: sim.kubeconfigYaml,
      env: {},
      maskSecret: (s) => masked.push(s),
    });
    const ns = await kube.call('read namespace x', () =>
      kube.core.readNamespace({ name: 'x' }),
    );
    expect(ns.metadata?.name).toBe('x');
    expect(masked).toContain(sim.token);
  });

  it('falls back to KUBECONFIG, and selects a context', async () => {
    const kube = await Kube.connect({
      env: { KUBECONFIG: sim.kubeconfigPath },
      context: 'sim',
    });
    expect(kube.server).toBe(sim.httpsUrl);
    await expect(
      Kube.connect({
        env: { KUBECONFIG: sim.kubeconfigPath },
        context: 'prod',
      }),
    ).rejects.toThrow(
      /input 'context': no context named "prod" in the kubeconfig \(contexts: sim\)/,
    );
  });

  it('with nothing at all, says what to set', async () => {
    const e = await Kube.connect({ env: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).message).toMatch(
      /no cluster credentials: set input 'kubeconfig'/,
    );
  });

  it('garbage YAML is a configuration error, not a crash', async () => {
    await expect(
      Kube.connect({ kubeconfig: 'apiVersion: v1\nclusters: [[[', env: {} }),
    ).rejects.toThrow(ConfigurationError);
  });
});
