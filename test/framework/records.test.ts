// Every kind of failure, through the bundled actions as the runner runs them:
// the StepResult (`result` output), the job summary, the `status` and
// `report` outputs, a result file under $RUNNER_TEMP/pqc-ops/results/, and a
// failed step with exactly one `::error::` line.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import {
  freePort,
  startPushgateway,
  startWebhookReceiver,
  type Pushgateway,
  type WebhookReceiver,
} from '../services/index.js';
import { actionEntry, runBundle, type BundleRun } from '../helpers/bundle.js';
import { deployment, namespace } from '../helpers/kube-objects.js';

interface Check {
  name: string;
  status: string;
  observed: string;
}

const ns = 'pqc-audit';
let gw: Pushgateway;
let hook: WebhookReceiver;
const sims: KubeSim[] = [];

beforeAll(async () => {
  for (const a of ['backup', 'health', 'scale']) actionEntry(a);
  [gw, hook] = await Promise.all([startPushgateway(), startWebhookReceiver()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([gw?.stop(), hook?.close()]);
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/** The lines the runner shows (it consumes `::add-mask::` and never prints it). */
const visible = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

/**
 * The whole record of a failed run; returns the StepResult. `why` must be in
 * the one error line, the failed check and the summary.
 */
function expectFailureRecord(
  r: BundleRun,
  procedure: string,
  why: RegExp,
): { status: string; checks: Check[]; summary: string } {
  expect(r.code, r.stdout).toBe(1);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors, r.stdout).toHaveLength(1);
  expect(errors[0]).toMatch(new RegExp(`^::error::${procedure}: `));
  expect(errors[0]).toMatch(why);
  // the StepResult
  const result = JSON.parse(r.outputs['result'] ?? '') as {
    procedure: string;
    status: string;
    summary: string;
    checks: Check[];
  };
  expect(result.procedure).toBe(procedure);
  expect(result.status).toBe('failed');
  const failed = result.checks.filter((c) => c.status === 'failed');
  expect(
    failed.filter((c) => why.test(c.observed)),
    JSON.stringify(result.checks),
  ).not.toEqual([]);
  // the job summary
  expect(r.summary.trim()).not.toBe('');
  expect(r.summary).toMatch(new RegExp(`^### ${procedure}: `));
  expect(r.summary).toMatch(why);
  // outputs status and report
  expect(r.outputs['status']).toBeTruthy();
  const report = r.outputs['report'] ?? '';
  expect(report.startsWith(join(r.runnerTemp, 'pqc-ops', 'reports'))).toBe(
    true,
  );
  expect(existsSync(report)).toBe(true);
  expect(readFileSync(report, 'utf8')).toMatch(why);
  // the result file
  const dir = join(r.runnerTemp, 'pqc-ops', 'results');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  const onDisk = JSON.parse(readFileSync(join(dir, files[0] ?? ''), 'utf8'));
  expect(onDisk).toEqual(result);
  return result;
}

/** The failed check named after the kind of failure (it says why). */
function failedCheck(
  result: { checks: Check[] },
  label: string,
): Check | undefined {
  return result.checks.find((c) => c.name === label && c.status === 'failed');
}

/** A kubeconfig whose server is a port nothing listens on. */
async function closedPortKubeconfig(): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pqc-ops-closed-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: not-a-real-token-0000
contexts:
- name: gone
  context: {cluster: gone, user: u, namespace: default}
current-context: gone
`,
  );
  return path;
}

function healthRbacObjects(): object[] {
  return [
    namespace(ns),
    deployment({
      name: 'pqc-audit',
      namespace: ns,
      replicas: 2,
      image: 'pqc-audit:1',
    }),
  ];
}

/** Asserts one escalation arrived for this run, and returns its payload. */
async function oneEscalation(before: number): Promise<{
  text: string;
  status: string;
  failedChecks: { name: string; observed: string }[];
}> {
  await hook.waitFor(before + 1, 10_000);
  await new Promise((res) => setTimeout(res, 300));
  expect(hook.received.length - before).toBe(1);
  return hook.received[before]?.body as never;
}

function expectNoWebhookLeak(r: BundleRun): void {
  expect(r.stdout).toContain(`::add-mask::${hook.url}`);
  const shown = [
    visible(r.stdout),
    r.stderr,
    r.summary,
    JSON.stringify(r.outputs),
    readFileSync(r.outputs['report'] ?? '', 'utf8'),
  ].join('\n');
  expect(shown).not.toContain(hook.url);
  expect(shown).not.toContain(hook.token);
  const everything = r.allWritten().replace(`::add-mask::${hook.url}`, '');
  expect(everything).not.toContain(hook.token);
}

describe('the record of every failure kind (bundles)', () => {
  it('configuration error: backup with include database and no database-url pushes pqc_backup_success 0', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'rec-cfg-'));
    const prefix = 'records-config-error';
    const r = await runBundle('backup', {
      include: 'database',
      destination: dest,
      prefix,
      'pushgateway-url': gw.url,
    });
    const result = expectFailureRecord(r, 'backup', /database-url/);
    expect(r.stdout).toMatch(/::error::backup: invalid configuration: /);
    expect(failedCheck(result, 'invalid configuration')).toBeDefined();
    expect(r.outputs['status']).toBe('failed');
    expect(r.outputs['archive']).toBe('');
    expect(readdirSync(dest)).toEqual([]);
    expect(
      await gw.sample('pqc_backup_success', {
        job: 'pqc-ops-backup',
        instance: prefix,
      }),
    ).toBe(0);
    const metrics = result.checks.find((c) => c.name === 'metrics');
    expect(metrics?.status).toBe('ok');
  });

  it('API unreachable: health says unknown, escalates once that it could not check, the webhook URL never shows', async () => {
    const kubeconfig = await closedPortKubeconfig();
    const before = hook.received.length;
    const r = await runBundle('health', {
      kubeconfig,
      'crypto-check': 'none',
      'alert-webhook': hook.url,
    });
    const result = expectFailureRecord(
      r,
      'health',
      /127\.0\.0\.1.*(connection refused|ECONNREFUSED)/,
    );
    expect(failedCheck(result, 'cannot reach the cluster')).toBeDefined();
    expect(r.outputs['status']).toBe('unknown');
    const payload = await oneEscalation(before);
    expect(payload.status).toBe('unknown');
    expect(payload.text).toMatch(
      /^PQC audit service pqc-audit\/pqc-audit could not be checked: /,
    );
    expect(payload.failedChecks.map((c) => c.name)).toEqual(['unreachable']);
    const escalation = result.checks.find((c) => c.name === 'escalation');
    expect(escalation?.status).toBe('ok');
    expectNoWebhookLeak(r);
  });

  it('API unreachable: scale plan fails with the record', async () => {
    const kubeconfig = await closedPortKubeconfig();
    const r = await runBundle('scale', { kubeconfig, replicas: '4' });
    const result = expectFailureRecord(
      r,
      'scale',
      /127\.0\.0\.1.*(connection refused|ECONNREFUSED)/,
    );
    expect(failedCheck(result, 'cannot reach the cluster')).toBeDefined();
    expect(r.outputs['status']).toBe('failed');
    expect(r.outputs['plan']).toBe('');
    expect(r.outputs['applied']).toBe('');
  });

  it('403 (RBAC): health fails with the record, status unknown, and escalates once', async () => {
    const sim = await startKubeSim({
      rbac: true,
      objects: healthRbacObjects(),
    });
    sims.push(sim);
    await sim.settle();
    const kc = sim.kubeconfigFor('system:serviceaccount:pqc-audit:nobody', [
      'system:serviceaccounts',
    ]);
    const before = hook.received.length;
    const r = await runBundle('health', {
      kubeconfig: kc.path,
      'crypto-check': 'none',
      'alert-webhook': hook.url,
    });
    const result = expectFailureRecord(r, 'health', /forbidden.*HTTP 403/);
    expect(failedCheck(result, 'forbidden')).toBeDefined();
    expect(r.outputs['status']).toBe('unknown');
    const payload = await oneEscalation(before);
    expect(payload.status).toBe('unknown');
    expect(payload.text).toMatch(/could not be checked: .*forbidden/);
    expect(payload.failedChecks.map((c) => c.name)).toEqual(['forbidden']);
    expectNoWebhookLeak(r);
    expect(sim.writes()).toEqual([]);
  });

  it('drift refused: scale plan, the Deployment changes, apply refuses with the record', async () => {
    const sim = await startKubeSim({ objects: healthRbacObjects() });
    sims.push(sim);
    await sim.settle();
    const p = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
    });
    expect(p.code, p.stdout).toBe(0);
    const d = sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
    d.spec.template.spec.containers[0].image = 'pqc-audit:2';
    sim.apply(d);
    sim.clearJournal();
    const a = await runBundle('scale', {
      kubeconfig: sim.kubeconfigPath,
      replicas: '5',
      mode: 'apply',
      plan: p.outputs['plan-file'] ?? '',
      'plan-sha256': p.outputs['plan-sha256'] ?? '',
    });
    const result = expectFailureRecord(
      a,
      'scale',
      /drifted since the plan was approved: Deployment pqc-audit\/pqc-audit changed \(generation 1 -> 2\)/,
    );
    expect(failedCheck(result, 'refused')).toBeDefined();
    expect(a.outputs['status']).toBe('failed');
    expect(a.outputs['applied']).not.toBe('true');
    expect(sim.writes().filter((w) => !w.path.includes('/leases'))).toEqual([]);
    expect(
      sim.get('apps/v1', 'Deployment', ns, 'pqc-audit').spec.replicas,
    ).toBe(2);
  });
});
