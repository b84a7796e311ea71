/** startKubeSim: wires store, server, controllers and test helpers together. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { certTick, issuancesInFlight } from './controllers/cert-manager.js';
import { deploymentTick } from './controllers/deployment.js';
import { gcTick } from './controllers/gc.js';
import { podTick } from './controllers/pods.js';
import { type ExecHook, SimCore, userInfo } from './core.js';
import { createExecServer, execState } from './exec.js';
import { continueState } from './list.js';
import { readManifests, seedOrder } from './manifests.js';
import { PodRoots } from './pod-root.js';
import { findByKind } from './registry.js';
import { bootstrapObjects } from './bootstrap.js';
import { VERSION } from './discovery.js';
import { createServer } from './server.js';
import { makeServingCert } from './tls.js';
import type {
  Fault,
  JournalEntry,
  MetricsMode,
  Obj,
  PodBehavior,
} from './types.js';

export interface KubeSimOptions {
  manifests?: string[];
  objects?: object[];
  https?: boolean;
  rbac?: boolean;
  tickMs?: number;
}

export interface KubeSim {
  /** http:// by default, https:// with `https: true` (same port serves both). */
  url: string;
  /** Always https:// (self-signed; the kubeconfigs point here). */
  httpsUrl: string;
  token: string;
  caPem?: string;
  kubeconfigYaml: string;
  kubeconfigPath: string;
  kubeconfigFor(
    user: string,
    groups?: string[],
  ): { yaml: string; path: string; token: string };
  journal: JournalEntry[];
  clearJournal(): void;
  writes(): JournalEntry[];
  faults: { add(f: Fault): void; clear(): void };
  get(
    apiVersion: string,
    kind: string,
    ns: string | undefined,
    name: string,
  ): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- undefined when absent
  list(apiVersion: string, kind: string, ns?: string): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  apply(obj: object): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  remove(
    apiVersion: string,
    kind: string,
    ns: string | undefined,
    name: string,
  ): void;
  setPodMetrics(
    ns: string,
    pod: string,
    containers: { name: string; cpu: string; memory: string }[],
  ): void;
  setNodeMetrics(node: string, cpu: string, memory: string): void;
  setMetricsMode(mode: MetricsMode): void;
  appendLog(
    ns: string,
    pod: string,
    container: string,
    text: string,
    opts?: { previous?: boolean },
  ): void;
  setDeploymentBehavior(ns: string, name: string, b: PodBehavior): void;
  podRoot(ns: string, pod: string, container?: string): string;
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  /** Extras beyond the agreed API. */
  addExecHook(h: ExecHook): void;
  /** Make every continue token issued so far expire (410 Expired). */
  expireContinueTokens(): void;
  /** Run one controller tick now. */
  tick(): void;
  /**
   * What GET /version answers from now on: the given fields over the
   * defaults (v1.32.4). A `gitVersion` alone also sets `major` and `minor`
   * from it, as the API server derives them from its build version.
   */
  setVersion(v: Partial<Record<VersionField, string>>): void;
}

type VersionField = keyof typeof VERSION;

function kubeconfig(
  url: string,
  token: string,
  user: string,
  caPem?: string,
): string {
  const cluster: Obj = { server: url };
  if (caPem)
    cluster['certificate-authority-data'] =
      Buffer.from(caPem).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sim', cluster }],
    contexts: [
      { name: 'sim', context: { cluster: 'sim', user, namespace: 'default' } },
    ],
    'current-context': 'sim',
    users: [{ name: user, user: { token } }],
    preferences: {},
  });
}

function seed(core: SimCore, objs: Obj[]) {
  const nsType = core.core('namespaces');
  for (const o of [...objs].sort((a, b) => seedOrder(a) - seedOrder(b))) {
    const rt = findByKind(String(o.apiVersion), String(o.kind));
    if (!rt)
      throw new Error(
        `kube-sim: cannot seed unknown type ${String(o.apiVersion)} ${String(o.kind)}`,
      );
    const ns = o.metadata?.namespace as string | undefined;
    if (rt.namespaced && ns && !core.store.get(nsType, undefined, ns))
      core.store.create(nsType, { metadata: { name: ns } });
    applyObj(core, o);
  }
}

function applyObj(core: SimCore, o: Obj): Obj {
  const rt = findByKind(String(o.apiVersion), String(o.kind));
  if (!rt)
    throw new Error(
      `kube-sim: unknown type ${String(o.apiVersion)} ${String(o.kind)}`,
    );
  const body = structuredClone(o);
  body.metadata ??= {};
  if (rt.namespaced) body.metadata.namespace ??= 'default';
  const cur = core.store.get(
    rt,
    body.metadata.namespace as string,
    String(body.metadata.name),
  );
  if (!cur) return core.store.create(rt, body, { keepStatus: true });
  delete body.metadata.resourceVersion;
  let out = core.store.update(rt, body, { trusted: true });
  if (body.status !== undefined)
    out = core.store.update(
      rt,
      { ...out, status: body.status },
      { subresource: 'status', trusted: true },
    );
  return out;
}

/** Start a simulator on 127.0.0.1 with a random port. */
export async function startKubeSim(
  opts: KubeSimOptions = {},
): Promise<KubeSim> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-'));
  const core = new SimCore(!!opts.rbac, tmpDir);
  continueState.set(core, { minRv: 0, ttlMs: 5 * 60_000 });
  const token = core.newToken(userInfo('admin', ['system:masters']));
  const roots = new PodRoots(core, tmpDir);
  const wss = createExecServer();
  execState.set(core, { wss, roots, procs: new Set() });
  try {
    seed(core, bootstrapObjects());
    seed(core, [
      ...readManifests(opts.manifests ?? []),
      ...((opts.objects ?? []) as Obj[]),
    ]);
  } catch (e) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
  const tlsMaterial = await makeServingCert(path.join(tmpDir, 'tls'));
  const server = createServer(core, tlsMaterial);
  const port = await server.listen();
  const url = `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const httpsUrl = `https://127.0.0.1:${port}`;
  const caPem = opts.https ? tlsMaterial.caPem : undefined;
  const kubeconfigYaml = kubeconfig(httpsUrl, token, 'admin', caPem);
  const kubeconfigPath = path.join(tmpDir, 'kubeconfig.yaml');
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });

  core.store.onEvent((e) => {
    if (e.type === 'DELETED' && e.rt.plural === 'pods' && !e.rt.group)
      core.logs.dropPod(
        String(e.object.metadata.namespace),
        String(e.object.metadata.name),
      );
  });
  // gc and cert-manager react to state only: they rescan the store (tens of
  // thousands of objects in the benchmarks) only after a write.
  let seenRv = -1;
  const tick = () => {
    if (core.closed) return;
    try {
      const changed = core.store.rv !== seenRv;
      seenRv = core.store.rv;
      if (changed) gcTick(core);
      podTick(core);
      deploymentTick(core);
      if (changed || issuancesInFlight(core) > 0) certTick(core);
    } catch (e) {
      console.error('kube-sim: controller tick failed', e);
    }
  };
  const timer = setInterval(tick, opts.tickMs ?? 25);
  let users = 0;
  const typed = (rtArgs: [string, string]) => core.type(...rtArgs);

  const sim: KubeSim = {
    url,
    httpsUrl,
    token,
    caPem,
    kubeconfigYaml,
    kubeconfigPath,
    kubeconfigFor(user, groups = []) {
      const t = core.newToken(userInfo(user, groups));
      const yaml = kubeconfig(httpsUrl, t, user, caPem);
      const p = path.join(
        tmpDir,
        `kubeconfig-${++users}-${user.replace(/[^a-zA-Z0-9-]/g, '_')}.yaml`,
      );
      fs.writeFileSync(p, yaml, { mode: 0o600 });
      return { yaml, path: p, token: t };
    },
    journal: core.journal.entries,
    clearJournal: () => core.journal.clear(),
    writes: () => core.journal.writes(),
    faults: {
      add: (f) => core.faults.add(f),
      clear: () => core.faults.clear(),
    },
    get: (apiVersion, kind, ns, name) =>
      core.store.get(typed([apiVersion, kind]), ns, name),
    list: (apiVersion, kind, ns) =>
      core.store.list(typed([apiVersion, kind]), ns),
    apply: (obj) => applyObj(core, obj),
    remove: (apiVersion, kind, ns, name) =>
      void core.store.delete(typed([apiVersion, kind]), ns, name),
    setPodMetrics: (ns, pod, containers) =>
      void core.metrics.pods.set(`${ns}/${pod}`, containers),
    setNodeMetrics: (node, cpu, memory) =>
      void core.metrics.nodes.set(node, { cpu, memory }),
    setMetricsMode: (mode) => void (core.metrics.mode = mode),
    appendLog: (ns, pod, c, text, o) =>
      core.logs.append(ns, pod, c, text, !!o?.previous),
    setDeploymentBehavior: (ns, name, b) =>
      void core.behaviors.set(`${ns}/${name}`, b),
    podRoot(ns, name, container) {
      const pod = core.pod(ns, name);
      if (!pod) throw new Error(`kube-sim: pod ${ns}/${name} not found`);
      return roots.root(pod, container ?? String(pod.spec.containers[0].name));
    },
    async settle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (quiet < 3) {
        if (Date.now() > deadline)
          throw new Error(
            `kube-sim: settle() did not converge in ${timeoutMs} ms`,
          );
        const before = core.store.writes - core.noiseWrites;
        tick();
        await new Promise((r) => setTimeout(r, 5));
        const busy = issuancesInFlight(core) > 0;
        quiet =
          !busy && core.store.writes - core.noiseWrites === before
            ? quiet + 1
            : 0;
      }
    },
    async close() {
      if (core.closed) return;
      core.closed = true;
      clearInterval(timer);
      for (const c of [...core.closers]) c();
      const procs = [...execState.get(core)!.procs];
      for (const p of procs)
        try {
          if (p.pid) process.kill(-p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((r) => {
              if (p.exitCode !== null || p.signalCode !== null) return r();
              const t = setTimeout(r, 2000);
              p.once('close', () => {
                clearTimeout(t);
                r();
              });
            }),
        ),
      );
      for (const c of wss.clients) c.terminate();
      wss.close();
      await server.close();
      fs.rmSync(tmpDir, { recursive: true, force: true, maxRetries: 5 });
    },
    addExecHook: (h) => void core.execHooks.push(h),
    expireContinueTokens: () =>
      void (continueState.get(core)!.minRv = core.store.rv + 1),
    tick,
    setVersion(v) {
      const m = /^v(\d+)\.(\d+)\./.exec(v.gitVersion ?? '');
      core.version = {
        ...VERSION,
        ...(m ? { major: m[1], minor: m[2] } : {}),
        ...v,
      };
    },
  };
  return sim;
}
