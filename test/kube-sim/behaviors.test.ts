/* eslint-disable @typescript-eslint/no-explicit-any -- parsed API objects in assertions */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from './index.js';
import { FIXTURES, kubectl } from './test-helpers.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ manifests: [FIXTURES], tickMs: 10 });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
});

const deployment = (name: string, behavior?: string, extra: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 1,
    progressDeadlineSeconds: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: {
        labels: { app: name },
        ...(behavior
          ? { annotations: { 'sim.pqc-ops.dev/behavior': behavior } }
          : {}),
      },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra },
    },
  },
});
const podOf = (app: string) =>
  sim.list('v1', 'Pod', 'default').find((p) => p.metadata.labels?.app === app);

describe('pod behaviours', () => {
  it('crashloop, imagepullbackoff, oomkilled, notready', async () => {
    for (const b of ['crashloop', 'imagepullbackoff', 'oomkilled', 'notready'])
      sim.apply(deployment(b, b));
    await sim.settle();
    const crash = podOf('crashloop');
    expect(crash.status.containerStatuses[0].state.waiting.reason).toBe(
      'CrashLoopBackOff',
    );
    expect(
      crash.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('False');
    const img = podOf('imagepullbackoff');
    expect(img.status.phase).toBe('Pending');
    expect(img.status.containerStatuses[0].state.waiting.reason).toBe(
      'ImagePullBackOff',
    );
    const oom = podOf('oomkilled');
    expect(oom.status.containerStatuses[0].lastState.terminated.reason).toBe(
      'OOMKilled',
    );
    expect(oom.status.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(
      1,
    );
    const nr = podOf('notready');
    expect(nr.status.phase).toBe('Running');
    expect(nr.status.containerStatuses[0].ready).toBe(false);
    await new Promise((r) => setTimeout(r, 1200));
    expect(
      podOf('crashloop').status.containerStatuses[0].restartCount,
    ).toBeGreaterThanOrEqual(2);
    const backoff = sim
      .list('v1', 'Event', 'default')
      .find(
        (e) =>
          e.reason === 'BackOff' &&
          e.involvedObject.name === crash.metadata.name,
      );
    expect(backoff.count).toBeGreaterThanOrEqual(2);
    const d = sim.get('apps/v1', 'Deployment', 'default', 'notready');
    expect(
      d.status.conditions.find((c: any) => c.type === 'Available').status,
    ).toBe('False');
  });

  it('setDeploymentBehavior applies to new pods', async () => {
    sim.setDeploymentBehavior('pqc-audit', 'pqc-audit', 'crashloop');
    const r = await kubectl(sim.kubeconfigPath, [
      '-n',
      'pqc-audit',
      'rollout',
      'restart',
      'deploy/pqc-audit',
    ]);
    expect(r.code).toBe(0);
    await sim.settle();
    const pods = sim
      .list('v1', 'Pod', 'pqc-audit')
      .filter((p) => p.metadata.labels.app === 'pqc-audit');
    expect(
      pods.some(
        (p) =>
          p.status.containerStatuses[0].state.waiting?.reason ===
          'CrashLoopBackOff',
      ),
    ).toBe(true);
    // maxUnavailable 0: the old pods stay
    expect(
      pods.filter((p) => p.status.containerStatuses[0].ready),
    ).toHaveLength(3);
  });
});

describe('cert-manager', () => {
  it('fails issuance on demand and honours seeded status', async () => {
    const notAfter = new Date(Date.now() + 3 * 86400e3)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    sim.apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'expiring', namespace: 'default' },
      spec: {
        secretName: 'expiring-tls',
        dnsNames: ['a.example.com'],
        issuerRef: { name: 'x', kind: 'ClusterIssuer' },
      },
      status: {
        notBefore: '2026-01-01T00:00:00Z',
        notAfter,
        revision: 4,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
      },
    });
    sim.apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: {
        name: 'broken',
        namespace: 'default',
        annotations: { 'sim.pqc-ops.dev/issuance': 'fail' },
      },
      spec: {
        secretName: 'broken-tls',
        commonName: 'b',
        issuerRef: { name: 'x' },
      },
    });
    await sim.settle();
    const seeded = sim.get(
      'cert-manager.io/v1',
      'Certificate',
      'default',
      'expiring',
    );
    expect(seeded.status.revision).toBe(4);
    const crt = Buffer.from(
      sim.get('v1', 'Secret', 'default', 'expiring-tls').data['tls.crt'],
      'base64',
    ).toString();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-'));
    fs.writeFileSync(path.join(dir, 'c.pem'), crt);
    const end = execFileSync(
      'openssl',
      ['x509', '-in', path.join(dir, 'c.pem'), '-noout', '-enddate'],
      { encoding: 'utf8' },
    );
    fs.rmSync(dir, { recursive: true });
    expect(
      new Date(end.trim().replace('notAfter=', ''))
        .toISOString()
        .replace(/\.\d+Z$/, 'Z'),
    ).toBe(notAfter);
    const broken = sim.get(
      'cert-manager.io/v1',
      'Certificate',
      'default',
      'broken',
    );
    expect(broken.status.failedIssuanceAttempts).toBe(1);
    expect(broken.status.lastFailureTime).toBeTruthy();
    expect(
      broken.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('False');
    expect(sim.get('v1', 'Secret', 'default', 'broken-tls')).toBeUndefined();
  });
});

describe('exec filesystem', () => {
  it('keeps PVC data across a Recreate rollout, mounts configMaps and hostPaths', async () => {
    const host = fs.mkdtempSync(path.join(os.tmpdir(), 'ks-host-'));
    fs.writeFileSync(path.join(host, 'tool.txt'), 'from host\n');
    try {
      sim.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'files', namespace: 'default' },
        data: { 'app.conf': 'x=1\n' },
      });
      sim.apply(
        deployment('fs', undefined, {
          volumes: [
            { name: 'cfg', configMap: { name: 'files' } },
            { name: 'host', hostPath: { path: host } },
            { name: 'scratch', emptyDir: {} },
          ],
          containers: [
            {
              name: 'c',
              image: 'busybox:1.36',
              workingDir: '/work',
              env: [{ name: 'GREETING', value: 'hi' }],
              volumeMounts: [
                { name: 'cfg', mountPath: '/etc/app' },
                { name: 'host', mountPath: '/opt/host' },
                { name: 'scratch', mountPath: '/scratch' },
              ],
            },
          ],
        }),
      );
      await sim.settle();
      const name = podOf('fs').metadata.name;
      const r = await kubectl(sim.kubeconfigPath, [
        'exec',
        name,
        '--',
        'sh',
        '-c',
        'pwd; echo $GREETING; cat /etc/app/app.conf /opt/host/tool.txt; echo s > /scratch/f; touch /opt/host/nope 2>/dev/null || echo ro',
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('/work\nhi\nx=1\nfrom host\nro\n');
      expect(
        fs.readFileSync(
          path.join(sim.podRoot('default', name), 'scratch/f'),
          'utf8',
        ),
      ).toBe('s\n');
      const pg = sim
        .list('v1', 'Pod', 'pqc-audit')
        .find((p) => p.metadata.labels.app === 'postgres').metadata.name;
      expect(
        (
          await kubectl(sim.kubeconfigPath, [
            '-n',
            'pqc-audit',
            'exec',
            pg,
            '--',
            'sh',
            '-c',
            'echo dump > /backup/db.sql',
          ])
        ).code,
      ).toBe(0);
      expect(
        (
          await kubectl(sim.kubeconfigPath, [
            '-n',
            'pqc-audit',
            'rollout',
            'restart',
            'deploy/postgres',
          ])
        ).code,
      ).toBe(0);
      await sim.settle();
      const pg2 = sim
        .list('v1', 'Pod', 'pqc-audit')
        .find((p) => p.metadata.labels.app === 'postgres').metadata.name;
      expect(pg2).not.toBe(pg);
      const cat = await kubectl(sim.kubeconfigPath, [
        '-n',
        'pqc-audit',
        'exec',
        pg2,
        '--',
        'cat',
        '/backup/db.sql',
      ]);
      expect(cat.stdout).toBe('dump\n');
    } finally {
      fs.rmSync(host, { recursive: true, force: true });
    }
  });

  it('rejects bad exec requests before the upgrade', async () => {
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=true`,
      {
        headers: {
          authorization: `Bearer ${sim.token}`,
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'sec-websocket-protocol': 'v5.channel.k8s.io',
        },
      },
    ).catch((e: unknown) => e);
    void res;
    const bad = await kubectl(sim.kubeconfigPath, [
      '-n',
      'pqc-audit',
      'exec',
      'deploy/postgres',
      '-c',
      'nope',
      '--',
      'true',
    ]);
    expect(bad.code).toBe(1);
    const missing = await kubectl(sim.kubeconfigPath, [
      'exec',
      'nope',
      '--',
      'true',
    ]);
    expect(missing.stderr).toMatch(/pods "nope" not found/);
  });
});
