import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/client.js';
import { KubeError } from '../../src/kube/errors.js';
import { withRetry } from '../../src/kube/retry.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { namespace } from '../helpers/kube-objects.js';

let sim: KubeSim;
const ns = 'errs';

beforeAll(async () => {
  sim = await startKubeSim({
    https: true,
    rbac: true,
    objects: [namespace(ns)],
  });
});
afterAll(async () => sim?.close());

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** An inline kubeconfig for `server` (token auth; TLS checked unless `skipTls`). */
function kubeconfig(server: string, opts: { skipTls?: boolean } = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    '  cluster:',
    `    server: ${server}`,
    ...(opts.skipTls ? ['    insecure-skip-tls-verify: true'] : []),
    'users:',
    '- name: u',
    '  user:',
    `    token: ${sim.token}`,
    'contexts:',
    '- name: x',
    '  context: {cluster: c, user: u}',
    'current-context: x',
    '',
  ].join('\n');
}

const connectTo = (
  server: string,
  opts: { skipTls?: boolean; timeoutMs?: number } = {},
) =>
  Kube.connect({
    kubeconfig: kubeconfig(server, opts),
    retry: {
      attempts: 2,
      baseMs: 10,
      maxMs: 50,
      timeoutMs: opts.timeoutMs ?? 10_000,
    },
  });

const failure = async (p: Promise<unknown>): Promise<KubeError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(KubeError);
  return e as KubeError;
};

describe('an unreachable API server is named, with the reason, in one line', () => {
  it('a closed port: connection refused (ECONNREFUSED), not "fetch failed"', async () => {
    const port = await closedPort();
    const server = `https://127.0.0.1:${port}`;
    const kube = await connectTo(server);
    const listNs = () => kube.core.listNamespace();
    // Through withRetry with the server URL: names it exactly.
    const named = await failure(
      withRetry('list namespaces', listNs, {
        policy: { attempts: 2, baseMs: 10, maxMs: 50, timeoutMs: 10_000 },
        server: kube.server,
      }),
    );
    expect(named.message).toBe(
      `list namespaces: cannot reach the Kubernetes API at ${server}: connection refused (ECONNREFUSED)`,
    );
    expect(named.connection).toBe(true);
    // Through Kube.call, which names the kubeconfig's server URL.
    const viaCall = await failure(kube.call('list namespaces', listNs));
    expect(viaCall.message).toBe(
      `list namespaces: cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
  });

  it('an unknown host: host name not found (ENOTFOUND)', async () => {
    const server = 'https://pqc-ops-no-such-host.invalid:6443';
    const kube = await connectTo(server);
    const e = await failure(
      withRetry('list namespaces', () => kube.core.listNamespace(), {
        policy: { attempts: 1, baseMs: 10, maxMs: 50, timeoutMs: 10_000 },
        server,
      }),
    );
    // Without any DNS at all the resolver answers EAI_AGAIN instead.
    expect(e.message).toMatch(
      /^list namespaces: cannot reach the Kubernetes API at https:\/\/pqc-ops-no-such-host\.invalid:6443: host name (not found \(ENOTFOUND\)|lookup failed .*\(EAI_AGAIN\))$/,
    );
  });

  it('an untrusted certificate (kube-sim over https without its CA) says so', async () => {
    const kube = await connectTo(sim.httpsUrl);
    const e = await failure(
      withRetry('list namespaces', () => kube.core.listNamespace(), {
        policy: { attempts: 1, baseMs: 10, maxMs: 50, timeoutMs: 10_000 },
        server: kube.server,
      }),
    );
    expect(e.message).toMatch(
      new RegExp(
        `^list namespaces: cannot reach the Kubernetes API at ${sim.httpsUrl}: its TLS certificate is not trusted: .+ \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)$`,
      ),
    );
  });

  it('a server that does not answer in time (kube-sim latency): timed out, naming the server', async () => {
    const kube = await connectTo(sim.httpsUrl, {
      skipTls: true,
      timeoutMs: 200,
    });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    sim.faults.add({ method: 'GET', path, delayMs: 1000, times: 2 });
    const e = await failure(
      withRetry(
        `list configmaps in ${ns}`,
        () => kube.core.listNamespacedConfigMap({ namespace: ns }),
        {
          policy: { attempts: 1, baseMs: 10, maxMs: 50, timeoutMs: 200 },
          server: kube.server,
        },
      ),
    );
    expect(e.message).toBe(
      `list configmaps in ${ns}: no answer from the Kubernetes API at ${sim.httpsUrl} within 200 ms (timed out)`,
    );
    expect(e.connection).toBe(true);
    sim.faults.clear();
  });

  it('a connection kube-sim drops: says it was lost and why, never just "fetch failed"', async () => {
    const kube = await connectTo(sim.httpsUrl, { skipTls: true });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    sim.faults.add({ method: 'GET', path, drop: 'before-response', times: 2 });
    const retries: string[] = [];
    const e = await failure(
      withRetry(
        `list configmaps in ${ns}`,
        () => kube.core.listNamespacedConfigMap({ namespace: ns }),
        {
          policy: { attempts: 2, baseMs: 10, maxMs: 50, timeoutMs: 10_000 },
          server: kube.server,
          onRetry: (m) => retries.push(m),
        },
      ),
    );
    expect(e.message).toMatch(
      new RegExp(
        `^list configmaps in ${ns}: lost the connection to the Kubernetes API at ${sim.httpsUrl}: .+ \\((UND_ERR_SOCKET|ECONNRESET)\\)$`,
      ),
    );
    expect(e.message).not.toContain('fetch failed');
    expect(retries[0]).toMatch(/lost the connection to the Kubernetes API/);
  });

  it('a 403 stays one line naming the verb and the resource', async () => {
    const who = sim.kubeconfigFor('nobody');
    const kube = await Kube.connect({
      kubeconfig: who.path,
      retry: { attempts: 2, baseMs: 10 },
    });
    const e = await failure(
      kube.call(`list pods in ${ns}`, () =>
        kube.core.listNamespacedPod({ namespace: ns }),
      ),
    );
    expect(e.code).toBe(403);
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(
      new RegExp(
        `^list pods in ${ns}: pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "${ns}" \\(HTTP 403 Forbidden\\)$`,
      ),
    );
  });
});
