/* eslint-disable @typescript-eslint/no-explicit-any -- parsed API objects in assertions */
import { PassThrough } from 'node:stream';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  Log,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  type V1Status,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from './index.js';
import { collect, FIXTURES, kubeConfig, status } from './test-helpers.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ manifests: [FIXTURES] });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
});

describe('AppsV1Api', () => {
  it('reads deployments and their scale, scales with replace and patch', async () => {
    const apps = kubeConfig(sim).makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({
      name: 'pqc-audit',
      namespace: 'pqc-audit',
    });
    expect(d.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
      observedGeneration: 1,
    });
    expect(d.status!.conditions!.map((c) => [c.type, c.reason])).toEqual([
      ['Available', 'MinimumReplicasAvailable'],
      ['Progressing', 'NewReplicaSetAvailable'],
    ]);
    const sc = await apps.readNamespacedDeploymentScale({
      name: 'pqc-audit',
      namespace: 'pqc-audit',
    });
    expect(sc).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=pqc-audit' },
    });
    sc.spec!.replicas = 2;
    const r = await apps.replaceNamespacedDeploymentScale({
      name: 'pqc-audit',
      namespace: 'pqc-audit',
      body: sc,
    });
    expect(r.spec!.replicas).toBe(2);
    await sim.settle();
    expect(
      sim
        .list('v1', 'Pod', 'pqc-audit')
        .filter((p) => p.metadata.labels.app === 'pqc-audit'),
    ).toHaveLength(2);
    const p = await apps.patchNamespacedDeploymentScale(
      {
        name: 'pqc-audit',
        namespace: 'pqc-audit',
        body: { spec: { replicas: 3 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(p.spec!.replicas).toBe(3);
    await sim.settle();
    const after = await apps.readNamespacedDeployment({
      name: 'pqc-audit',
      namespace: 'pqc-audit',
    });
    expect(after.status!.availableReplicas).toBe(3);
    expect(after.metadata!.generation).toBe(3);
    const notFound = await status(
      apps.readNamespacedDeployment({ name: 'web', namespace: 'pqc-audit' }),
    );
    expect(notFound.body).toMatchObject({
      code: 404,
      message: 'deployments.apps "web" not found',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    const inv = await status(
      apps.patchNamespacedDeployment(
        {
          name: 'pqc-audit',
          namespace: 'pqc-audit',
          body: { spec: { replicas: -1 } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(inv.code).toBe(422);
    expect(inv.body.message).toBe(
      'Deployment.apps "pqc-audit" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it('strategic-merge patches containers by name', async () => {
    const apps = kubeConfig(sim).makeApiClient(AppsV1Api);
    const d = await apps.patchNamespacedDeployment(
      {
        name: 'postgres',
        namespace: 'pqc-audit',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'postgres', env: [{ name: 'X', value: '1' }] },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const c = d.spec!.template.spec!.containers[0];
    expect(c.image).toBe('postgres:16.4');
    expect(c.env!.map((e) => e.name)).toContain('X');
    expect(c.env!.map((e) => e.name)).toContain('POSTGRES_USER');
    await sim.settle();
  });
});

describe('CustomObjectsApi certificates', () => {
  it('lists cluster-wide, renews through the status subresource', async () => {
    const co = kubeConfig(sim).makeApiClient(CustomObjectsApi);
    const list: any = await co.listClusterCustomObject({
      group: 'cert-manager.io',
      version: 'v1',
      plural: 'certificates',
    });
    expect(list.items.map((i: any) => i.metadata.name).sort()).toEqual([
      'postgres-tls',
      'pqc-audit-tls',
    ]);
    const cert: any = await co.getNamespacedCustomObject({
      group: 'cert-manager.io',
      version: 'v1',
      namespace: 'pqc-audit',
      plural: 'certificates',
      name: 'pqc-audit-tls',
    });
    expect(cert.status.revision).toBe(1);
    expect(
      cert.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('True');
    const patched: any = await co.patchNamespacedCustomObjectStatus(
      {
        group: 'cert-manager.io',
        version: 'v1',
        namespace: 'pqc-audit',
        plural: 'certificates',
        name: 'pqc-audit-tls',
        body: {
          status: {
            conditions: [
              ...cert.status.conditions,
              {
                type: 'Issuing',
                status: 'True',
                reason: 'ManuallyTriggered',
                message: 'Certificate re-issuance manually triggered',
                lastTransitionTime: new Date().toISOString(),
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      patched.status.conditions.some((c: any) => c.type === 'Issuing'),
    ).toBe(true);
    await sim.settle();
    const renewed = sim.get(
      'cert-manager.io/v1',
      'Certificate',
      'pqc-audit',
      'pqc-audit-tls',
    );
    expect(renewed.status.revision).toBe(2);
    expect(
      renewed.status.conditions.some((c: any) => c.type === 'Issuing'),
    ).toBe(false);
    const secret = sim.get('v1', 'Secret', 'pqc-audit', 'pqc-audit-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toMatch(
      /BEGIN CERTIFICATE/,
    );
    const smp = await status(
      co.patchNamespacedCustomObject(
        {
          group: 'cert-manager.io',
          version: 'v1',
          namespace: 'pqc-audit',
          plural: 'certificates',
          name: 'pqc-audit-tls',
          body: { metadata: { labels: { a: 'b' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(smp.code).toBe(415);
  });
});

describe('CoordinationV1Api leases', () => {
  it('creates and replaces with optimistic concurrency', async () => {
    const co = kubeConfig(sim).makeApiClient(CoordinationV1Api);
    const l = await co.createNamespacedLease({
      namespace: 'pqc-audit',
      body: {
        metadata: { name: 'pqc-ops-lock' },
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 30,
          acquireTime: new Date(),
          renewTime: new Date(),
        },
      },
    });
    expect(l.spec!.holderIdentity).toBe('a');
    l.spec!.holderIdentity = 'b';
    const r = await co.replaceNamespacedLease({
      name: 'pqc-ops-lock',
      namespace: 'pqc-audit',
      body: l,
    });
    expect(r.spec!.holderIdentity).toBe('b');
    const stale = await status(
      co.replaceNamespacedLease({
        name: 'pqc-ops-lock',
        namespace: 'pqc-audit',
        body: l,
      }),
    );
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on leases.coordination.k8s.io "pqc-ops-lock": the object has been modified; please apply your changes to the latest version and try again',
    );
  });
});

describe('Metrics, Log, Exec, Authorization', () => {
  it('serves pod metrics and toggles metrics-server', async () => {
    const pods = sim.list('v1', 'Pod', 'pqc-audit');
    const name = pods[0].metadata.name;
    sim.setPodMetrics('pqc-audit', name, [
      {
        name: pods[0].spec.containers[0].name,
        cpu: '253011429n',
        memory: '51200Ki',
      },
    ]);
    const m = new Metrics(kubeConfig(sim));
    const list = await m.getPodMetrics('pqc-audit');
    expect(
      list.items.find((i) => i.metadata.name === name)!.containers[0].usage,
    ).toEqual({ cpu: '253011429n', memory: '51200Ki' });
    sim.setMetricsMode('absent');
    await expect(m.getPodMetrics('pqc-audit')).rejects.toThrow();
    sim.setMetricsMode('ok');
  });

  it('streams logs with tail, previous and follow', async () => {
    const pod = sim
      .list('v1', 'Pod', 'pqc-audit')
      .find((p) => p.metadata.labels.app === 'pqc-audit');
    const n = pod.metadata.name;
    sim.appendLog('pqc-audit', n, 'pqc-audit', 'one\ntwo\nthree\n');
    const log = new Log(kubeConfig(sim));
    const c = collect();
    await new Promise<void>((resolve, reject) => {
      c.w.on('finish', resolve);
      log.log('pqc-audit', n, 'pqc-audit', c.w, { tailLines: 2 }).catch(reject);
    });
    expect(c.text()).toBe('two\nthree\n');
    const prev = await fetch(
      `${sim.url}/api/v1/namespaces/pqc-audit/pods/${n}/log?previous=true`,
      { headers: { authorization: `Bearer ${sim.token}` } },
    );
    expect(prev.status).toBe(400);
    expect(((await prev.json()) as any).message).toBe(
      `previous terminated container "pqc-audit" in pod "${n}" not found`,
    );
    const f = collect();
    const done = new Promise<void>((resolve) => f.w.on('finish', resolve));
    const ctl = await log.log('pqc-audit', n, 'pqc-audit', f.w, {
      follow: true,
      tailLines: 1,
    });
    await new Promise((r) => setTimeout(r, 50));
    sim.appendLog('pqc-audit', n, 'pqc-audit', 'four\n');
    await new Promise((r) => setTimeout(r, 50));
    sim.remove('v1', 'Pod', 'pqc-audit', n);
    await done;
    ctl.abort();
    expect(f.text()).toBe('three\nfour\n');
    await sim.settle();
  });

  it('execs real processes with stdin, stdout, stderr and exit codes', async () => {
    const pod = sim
      .list('v1', 'Pod', 'pqc-audit')
      .find((p) => p.metadata.labels.app === 'postgres');
    const exec = new Exec(kubeConfig(sim));
    const run = (cmd: string[], input?: string) =>
      new Promise<{ out: string; err: string; status: V1Status }>(
        (resolve, reject) => {
          const out = collect();
          const err = collect();
          const stdin = input === undefined ? null : new PassThrough();
          let st: V1Status | undefined;
          exec
            .exec(
              'pqc-audit',
              pod.metadata.name,
              'postgres',
              cmd,
              out.w,
              err.w,
              stdin,
              false,
              (s) => (st = s),
            )
            .then((ws) => {
              if (stdin) stdin.end(input);
              ws.on('close', () =>
                setTimeout(
                  () =>
                    st
                      ? resolve({
                          out: out.text(),
                          err: err.text(),
                          status: st,
                        })
                      : reject(new Error('no status')),
                  10,
                ),
              );
            }, reject);
        },
      );
    const ok = await run([
      'sh',
      '-c',
      'echo out; echo err >&2; echo "$POSTGRES_USER" > /backup/who; cat /backup/who',
    ]);
    expect(ok.out).toBe('out\npqc_audit\n');
    expect(ok.err).toBe('err\n');
    expect(ok.status.status).toBe('Success');
    const root = sim.podRoot('pqc-audit', pod.metadata.name);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${root}/backup/who`, 'utf8')).toBe('pqc_audit\n');
    const echo = await run(['cat'], 'hello stdin');
    expect(echo.out).toBe('hello stdin');
    const bad = await run(['sh', '-c', 'exit 3']);
    expect(bad.status.status).toBe('Failure');
    expect(
      bad.status.details!.causes!.find((c) => c.reason === 'ExitCode')!.message,
    ).toBe('3');
  });

  it('answers SelfSubjectRulesReview', async () => {
    const az = kubeConfig(sim).makeApiClient(AuthorizationV1Api);
    const r = await az.createSelfSubjectRulesReview({
      body: { spec: { namespace: 'pqc-audit' } },
    });
    expect(r.status!.resourceRules.some((x) => x.verbs.includes('*'))).toBe(
      true,
    );
    const a = await az.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            namespace: 'pqc-audit',
            verb: 'get',
            resource: 'pods',
            subresource: 'exec',
          },
        },
      },
    });
    expect(a.status!.allowed).toBe(true);
    expect(sim.writes().some((w) => w.path.includes('authorization'))).toBe(
      false,
    );
  });
});

describe('https mode', () => {
  it('serves TLS with the CA in the kubeconfig', async () => {
    const s = await startKubeSim({
      https: true,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'x', namespace: 'default' },
        },
      ],
    });
    try {
      expect(s.url).toMatch(/^https:/);
      expect(s.caPem).toMatch(/BEGIN CERTIFICATE/);
      expect(s.kubeconfigYaml).toMatch(/certificate-authority-data/);
      const api = kubeConfig(s).makeApiClient(CoreV1Api);
      const cms = await api.listNamespacedConfigMap({ namespace: 'default' });
      expect(cms.items.map((i) => i.metadata!.name)).toEqual(['x']);
    } finally {
      await s.close();
    }
  });
});

describe('VersionApi', () => {
  it('answers /version as the API server does, and as setVersion sets it', async () => {
    const v = kubeConfig(sim).makeApiClient(VersionApi);
    expect(await v.getCode()).toMatchObject({
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.4',
      platform: 'linux/amd64',
    });
    sim.setVersion({ gitVersion: 'v1.31.2' });
    expect(await v.getCode()).toMatchObject({
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.2',
      goVersion: 'go1.23.6',
    });
    sim.setVersion({ gitVersion: 'v1.33.1-eks-4096722', minor: '33+' });
    expect(await v.getCode()).toMatchObject({ major: '1', minor: '33+' });
    sim.setVersion({});
    expect((await v.getCode()).gitVersion).toBe('v1.32.4');
  });
});
