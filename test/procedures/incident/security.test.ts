// incident security-incident, the bundle against kube-sim with the age CLI:
// plan (nothing changes), apply (deny-all NetworkPolicy, evidence archive
// whose checksums verify after decryption, rotated keys with values that
// differ and appear nowhere, debug env, every pod replaced), then the undo
// plan removes exactly that policy, and cannot be applied twice.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/plan.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { runBundle, type BundleRun } from '../../helpers/bundle.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../services/index.js';

const ns = 'pqc-audit';
const OLD: Record<string, string> = {
  SECRET_KEY: 'old-secret-key-4f1c9a',
  API_TOKEN: 'old-api-token-77d2e0',
  DB_PASSWORD: 'old-db-password-untouched',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
let sim: KubeSim;
let hook: WebhookReceiver;
let dir: string;
let keyFile: string;
let recipient: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pqc-ops-security-'));
  keyFile = join(dir, 'age.key');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  recipient =
    /public key: (age1\S+)/.exec(readFileSync(keyFile, 'utf8'))?.[1] ?? '';
  hook = await startWebhookReceiver();
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas: 2,
        image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
      }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pqc-audit-secrets', namespace: ns },
        data: Object.fromEntries(
          Object.entries(OLD).map(([k, v]) => [k, b64(v)]),
        ),
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-dns', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] },
      },
    ],
  });
  await sim.settle();
}, 60_000);
afterAll(async () => {
  await Promise.all([sim?.close(), hook?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const secretNow = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(
      sim.get('v1', 'Secret', ns, 'pqc-audit-secrets').data as Record<
        string,
        string
      >,
    ).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
const policies = () =>
  sim
    .list('networking.k8s.io/v1', 'NetworkPolicy', ns)
    .map((p) => p.metadata.name as string)
    .sort();
const inputs = (more: Record<string, string> = {}) => ({
  kubeconfig: sim.kubeconfigPath,
  procedure: 'security-incident',
  keys: 'SECRET_KEY,API_TOKEN',
  'age-recipients': recipient,
  'keep-previous-values': 'true',
  'alert-webhook': hook.url,
  timeout: '60s',
  ...more,
});
const applyOf = (r: BundleRun, file = 'plan-file', sha = 'plan-sha256') => ({
  mode: 'apply',
  plan: r.outputs[file] ?? '',
  'plan-sha256': r.outputs[sha] ?? '',
});
const env = (t: string) => ({ RUNNER_TEMP: t, GITHUB_ACTOR: 'sec-oncall' });

describe('incident security-incident (bundle, kube-sim, age)', () => {
  it('isolates, keeps verifiable evidence, rotates unseen credentials, restarts; the undo plan lifts exactly the isolation', async () => {
    const temp = mkdtempSync(join(dir, 'runner-'));
    const plan = await runBundle('incident', inputs(), env(temp));
    expect(plan.code, plan.stdout).toBe(0);
    const doc = JSON.parse(plan.outputs['plan'] ?? '') as Plan;
    expect(doc.changes.map((c) => c.object)).toEqual([
      `NetworkPolicy ${ns}/pqc-ops-incident-isolation`,
      `Secret ${ns}/pqc-audit-secrets`,
      `Deployment ${ns}/pqc-audit`,
    ]);
    expect(policies()).toEqual(['allow-dns']);
    expect(secretNow()).toEqual(OLD);
    const podsBefore = sim
      .list('v1', 'Pod', ns)
      .map((p) => p.metadata.name as string);
    sim.appendLog(ns, podsBefore[0] ?? '', 'pqc-audit', 'intruder was here\n', {
      previous: true,
    });

    const done = await runBundle('incident', inputs(applyOf(plan)), env(temp));
    expect(done.code, done.stdout).toBe(0);

    // Isolation: deny-all, ingress and egress, the application's pods.
    expect(policies()).toEqual(['allow-dns', 'pqc-ops-incident-isolation']);
    const np = sim.get(
      'networking.k8s.io/v1',
      'NetworkPolicy',
      ns,
      'pqc-ops-incident-isolation',
    );
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { app: 'pqc-audit' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    });

    // Rotation: the named keys changed, the other did not, nothing shows them.
    const now = secretNow();
    expect(now['DB_PASSWORD']).toBe(OLD['DB_PASSWORD']);
    for (const k of ['SECRET_KEY', 'API_TOKEN']) {
      expect(now[k]).not.toBe(OLD[k]);
      expect(now[k]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    // The runner consumes ::add-mask:: lines and never shows them.
    const masks = done.stdout;
    const written = (plan.allWritten() + done.allWritten()).replace(
      /^::add-mask::.*$/gm,
      '',
    );
    for (const v of [now['SECRET_KEY'], now['API_TOKEN']]) {
      expect(masks).toContain(`::add-mask::${v}\n`);
      expect(written).not.toContain(v);
    }
    for (const k of ['SECRET_KEY', 'API_TOKEN'])
      expect(written).not.toContain(OLD[k]);
    expect(written).not.toContain(hook.token);

    // Restart with debug logging: every pod replaced.
    const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
    expect(d.spec.template.spec.containers[0].env).toEqual([
      { name: 'LOG_LEVEL', value: 'DEBUG' },
      { name: 'AUDIT_MODE', value: 'enabled' },
    ]);
    const podsAfter = sim
      .list('v1', 'Pod', ns)
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name as string);
    expect(podsAfter).toHaveLength(2);
    for (const p of podsAfter) expect(podsBefore).not.toContain(p);
    const result = JSON.parse(done.outputs['result'] ?? '{}') as {
      checks: { name: string; status: string }[];
      timeline: { actor: string; what: string }[];
    };
    expect(result.checks).toContainEqual({
      name: 'pods restarted',
      status: 'ok',
      observed: expect.any(String),
    });
    expect(result.timeline.every((e) => e.actor === 'sec-oncall')).toBe(true);
    expect(result.timeline.map((e) => e.what)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^isolated: /),
        expect.stringMatching(/^evidence collected: /),
        'credentials rotated: API_TOKEN, SECRET_KEY of Secret pqc-audit/pqc-audit-secrets',
        expect.stringMatching(/^debug logging set/),
      ]),
    );

    // Evidence: decrypts, its checksums verify, it holds what was asked.
    const archive = done.outputs['evidence-archive'] ?? '';
    expect(archive).toMatch(/incident-evidence_\d{8}_\d{6}\.tar\.age$/);
    const x = mkdtempSync(join(dir, 'evidence-'));
    const tar = execFileSync('age', ['-d', '-i', keyFile, archive]);
    execFileSync('tar', ['-x', '-C', x], { input: tar });
    execFileSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: x });
    execFileSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], {
      cwd: x,
    });
    const read = (f: string) => readFileSync(join(x, f), 'utf8');
    expect(read('secret-pqc-audit-secrets-previous.env')).toBe(
      `API_TOKEN=${OLD['API_TOKEN']}\nSECRET_KEY=${OLD['SECRET_KEY']}\n`,
    );
    expect(read('images.tsv')).toMatch(/\tsha256:[0-9a-f]{64}\t\S+/);
    expect(read('pods.yaml')).toContain('nodeName:');
    const logs = read('logs.tsv');
    const prev = /^(log-\d{3}-previous\.txt)\t/m.exec(logs)?.[1] ?? '';
    expect(read(prev)).toBe('intruder was here\n');

    // The undo plan deletes exactly the isolation, once.
    const undo = await runBundle(
      'incident',
      inputs(applyOf(done, 'undo-plan-file', 'undo-plan-sha256')),
      env(temp),
    );
    expect(undo.code, undo.stdout).toBe(0);
    expect(policies()).toEqual(['allow-dns']);
    expect(secretNow()).toEqual(now);
    const again = await runBundle(
      'incident',
      inputs(applyOf(done, 'undo-plan-file', 'undo-plan-sha256')),
      env(temp),
    );
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/no longer exists/);
    expect(hook.received.length).toBeGreaterThanOrEqual(4);
  }, 240_000);

  it('takes values from secret-values (never shown) and random ones for the other keys', async () => {
    const temp = mkdtempSync(join(dir, 'runner-'));
    const before = secretNow();
    const given = 'given-db-password-5a9f3e1c';
    const r = await runBundle(
      'incident',
      inputs({
        keys: 'API_TOKEN',
        'secret-values': `# changed in the database first\nDB_PASSWORD=${given}\n`,
        'keep-previous-values': 'false',
        mode: 'auto',
      }),
      env(temp),
    );
    expect(r.code, r.stdout).toBe(0);
    const now = secretNow();
    expect(now['DB_PASSWORD']).toBe(given);
    expect(now['API_TOKEN']).not.toBe(before['API_TOKEN']);
    expect(now['SECRET_KEY']).toBe(before['SECRET_KEY']);
    const written = r.allWritten().replace(/^::add-mask::.*$/gm, '');
    for (const v of [
      given,
      now['API_TOKEN'] ?? '',
      before['DB_PASSWORD'] ?? '',
    ])
      expect(written).not.toContain(v);
  }, 240_000);
});
