// incident outage against kube-sim: the diagnosis (pods, events by time,
// current and previous logs) before anything is planned, the plan (restart,
// scale out), its apply (restartedAt, rollout, scale-to, health), never a
// scale down, the timeline in the record with the actor, and one
// notification whose URL appears nowhere.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';
import type { Plan } from '../../../src/plan/plan.js';
import { incident } from '../../../src/procedures/incident/procedure.js';
import type { TimelineEntry } from '../../../src/report/timeline.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { deployment, namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import {
  startHttpEndpoint,
  startWebhookReceiver,
  type HttpEndpoint,
  type WebhookReceiver,
} from '../../services/index.js';

const ns = 'pqc-audit';
let sim: KubeSim;
let app: HttpEndpoint;
let hook: WebhookReceiver;
let runnerTemp: string;

beforeAll(async () => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-outage-'));
  [app, hook] = await Promise.all([
    startHttpEndpoint(),
    startWebhookReceiver(),
  ]);
  app.respond('/health', { status: 200, body: '{"status":"ok"}' });
});
afterAll(async () => {
  await Promise.all([app?.close(), hook?.close()]);
  rmSync(runnerTemp, { recursive: true, force: true });
});
afterEach(async () => sim?.close());

async function cluster(replicas: number): Promise<void> {
  sim = await startKubeSim({
    objects: [
      namespace(ns),
      deployment({
        name: 'pqc-audit',
        namespace: ns,
        replicas,
        image: 'ghcr.io/pqc-ops/pqc-audit:1.4.2',
      }),
    ],
  });
  await sim.settle();
}

const dep = () => sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
const pods = () => sim.list('v1', 'Pod', ns);
const env = () => ({
  ...process.env,
  RUNNER_TEMP: runnerTemp,
  GITHUB_ACTOR: 'on-call-jane',
});
const inputs = (more: Record<string, string> = {}) => ({
  kubeconfig: sim.kubeconfigPath,
  procedure: 'outage',
  'crypto-check': 'none',
  'health-url': `${app.url}/health`,
  'alert-webhook': hook.url,
  retries: '0',
  timeout: '60s',
  ...more,
});
const apply = (p: { outputs: Record<string, string> }) => ({
  mode: 'apply',
  plan: p.outputs['plan-file'] ?? '',
  'plan-sha256': p.outputs['plan-sha256'] ?? '',
});

describe('incident outage (kube-sim)', () => {
  beforeEach(() => hook.received.splice(0));

  it('diagnoses, plans restart and scale-out, applies them, checks health and notifies with the timeline', async () => {
    await cluster(2);
    const [first, second] = pods();
    const p1 = first.metadata.name as string;
    sim.appendLog(ns, p1, 'pqc-audit', 'line one\nERROR database gone\n');
    sim.appendLog(ns, p1, 'pqc-audit', 'crashed before: OOM\n', {
      previous: true,
    });
    // Two events out of order: the diagnosis lists them by time.
    const ev = (name: string, at: string, reason: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { kind: 'Pod', name: p1, namespace: ns },
      reason,
      message: `${reason} happened`,
      type: 'Warning',
      lastTimestamp: at,
    });
    sim.apply(ev('late', '2026-11-27T10:05:00Z', 'BackOff'));
    sim.apply(ev('early', '2026-11-27T10:00:00Z', 'OOMKilled'));
    void second;

    const plan = await runProcedure(incident, inputs(), env());
    expect(plan.failure, plan.logs.join('\n')).toBeUndefined();
    const doc = JSON.parse(plan.outputs['plan'] ?? '') as Plan;
    expect(doc.changes.map((c) => c.action)).toEqual([
      'rollout restart (kubectl.kubernetes.io/restartedAt)',
      'scale 2 -> 5 replicas',
    ]);
    expect(
      dep().spec.template.metadata.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBeUndefined();
    const diag = plan.result.artifacts.find((a) =>
      a.path.includes('outage-diagnosis'),
    );
    const text = readFileSync(diag?.path ?? '', 'utf8');
    expect(text).toContain('ERROR database gone');
    expect(text).toContain('crashed before: OOM');
    expect(text.indexOf('OOMKilled')).toBeLessThan(text.indexOf('BackOff'));
    expect(plan.result.checks).toContainEqual(
      expect.objectContaining({ name: 'diagnosis', status: 'ok' }),
    );

    const done = await runProcedure(incident, inputs(apply(plan)), env());
    expect(done.failure, done.logs.join('\n')).toBeUndefined();
    expect(done.outputs['applied']).toBe('true');
    expect(
      dep().spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(dep().spec.replicas).toBe(5);
    expect(dep().status.availableReplicas).toBe(5);
    expect(pods().map((p) => p.metadata.name)).not.toContain(p1);
    expect(done.result.checks).toContainEqual(
      expect.objectContaining({ name: 'health: http', status: 'ok' }),
    );
    const timeline = JSON.parse(
      done.outputs['timeline'] ?? '[]',
    ) as TimelineEntry[];
    expect(done.result.timeline).toEqual(timeline);
    expect(timeline.every((e) => e.actor === 'on-call-jane')).toBe(true);
    expect(timeline.map((e) => e.what)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^diagnosis collected/),
        expect.stringMatching(/^restarted Deployment pqc-audit\/pqc-audit/),
        'scaled Deployment pqc-audit/pqc-audit to 5 replicas',
        expect.stringMatching(/^health checked: /),
      ]),
    );
    expect(done.markdown).toContain('#### Timeline');

    // One notice per run (plan and apply), the last with the timeline.
    expect(hook.received).toHaveLength(2);
    const notice = hook.received[1]?.body as {
      procedure: string;
      incident: string;
      status: string;
      timeline: TimelineEntry[];
    };
    expect(notice).toMatchObject({
      procedure: 'incident',
      incident: 'outage',
      status: 'applied',
    });
    expect(notice.timeline).toEqual(timeline);
    const everything = [
      ...done.logs,
      done.markdown,
      JSON.stringify(done.outputs),
      JSON.stringify(done.result),
    ].join('\n');
    expect(everything).not.toContain(hook.token);
  }, 120_000);

  it('never scales down: a Deployment above scale-to keeps its count', async () => {
    await cluster(7);
    const r = await runProcedure(
      incident,
      inputs({ mode: 'auto', 'scale-to': '5' }),
      env(),
    );
    expect(r.failure, r.logs.join('\n')).toBeUndefined();
    const doc = JSON.parse(r.outputs['plan'] ?? '') as Plan;
    expect(doc.changes).toHaveLength(1);
    expect(dep().spec.replicas).toBe(7);
    expect(r.result.timeline?.map((e) => e.what)).toContainEqual(
      'planned no scale: 7 replicas already, at least scale-to 5 (never down)',
    );
  }, 120_000);

  it('a failed rollout fails the step, and the notice says so', async () => {
    await cluster(2);
    sim.setDeploymentBehavior(ns, 'pqc-audit', 'stuck');
    const r = await runProcedure(
      incident,
      inputs({ mode: 'auto', timeout: '2s' }),
      env(),
    );
    expect(r.failure).toMatch(/^incident: rollout after restart: timed out/);
    expect(hook.received.at(-1)?.body).toMatchObject({ status: 'failed' });
  }, 120_000);
});
