// rollout against kube-sim: a rollout by digest, one that exceeds its
// progress deadline (kube-sim's `stuck`) and is undone to the previous
// revision's template, one left unhealthy and undone when asked, a paused
// Deployment and a plan whose Deployment generation moved, both refused.
import { mkdtempSync } from 'node:fs';
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
import { rollout } from '../../../src/procedures/rollout/procedure.js';
import type { Plan } from '../../../src/plan/plan.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startHttpEndpoint, type HttpEndpoint } from '../../services/index.js';

const ns = 'pqc-audit';
const OLD = 'ghcr.io/pqc-ops/pqc-audit:1.4.2';
const DIGEST = `sha256:${'5e'.repeat(32)}`;
const NEW = `ghcr.io/pqc-ops/pqc-audit@${DIGEST}`;
let sim: KubeSim;
let app: HttpEndpoint;
let runnerTemp: string;

const resources = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

function appDeployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'pqc-audit',
      namespace: ns,
      labels: { app: 'pqc-audit' },
    },
    spec: {
      replicas: 3,
      progressDeadlineSeconds: 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'pqc-audit' } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      },
      template: {
        metadata: {
          labels: { app: 'pqc-audit' },
          annotations: { team: 'pqc' },
        },
        spec: {
          containers: [
            {
              name: 'pqc-audit',
              image: OLD,
              ports: [{ containerPort: 8080 }],
              resources,
            },
            { name: 'sidecar', image: 'busybox:1.36', resources },
          ],
        },
      },
    },
  };
}

beforeAll(async () => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'pqc-ops-rollout-'));
  app = await startHttpEndpoint();
});
afterAll(async () => app?.close());
beforeEach(async () => {
  sim = await startKubeSim({ objects: [namespace(ns), appDeployment()] });
  await sim.settle();
  app.respond('/health', { status: 200, body: '{"status":"ok"}' });
});
afterEach(async () => sim?.close());

const deployment = () => sim.get('apps/v1', 'Deployment', ns, 'pqc-audit');
const env = () => ({ ...process.env, RUNNER_TEMP: runnerTemp });
const inputs = (more: Record<string, string>) => ({
  kubeconfig: sim.kubeconfigPath,
  'crypto-check': 'none',
  'health-url': `${app.url}/health`,
  retries: '0',
  timeout: '60s',
  ...more,
});

/** The ReplicaSet of a revision's template, without its hash label. */
function templateOfImage(image: string) {
  const rs = sim
    .list('apps/v1', 'ReplicaSet', ns)
    .find((r) => r.spec.template.spec.containers[0].image === image);
  const t = structuredClone(rs.spec.template);
  delete t.metadata.labels['pod-template-hash'];
  return {
    t,
    revision: Number(
      rs.metadata.annotations['deployment.kubernetes.io/revision'],
    ),
  };
}

describe('rollout (kube-sim)', () => {
  it('rolls out by digest: plan, then apply; image, digest and revision before and after', async () => {
    const p = await runProcedure(rollout, inputs({ image: NEW }), env());
    expect(p.failure, p.logs.join('\n')).toBeUndefined();
    const plan = JSON.parse(p.outputs['plan'] ?? '') as Plan;
    expect(plan.changes).toEqual([
      expect.objectContaining({
        object: `Deployment ${ns}/pqc-audit`,
        action: `set image pqc-audit: ${OLD} -> ${NEW}`,
        undo: expect.stringMatching(
          /^kubectl rollout undo deployment\/pqc-audit --to-revision=1 /,
        ),
      }),
    ]);
    expect(plan.basis).toEqual([
      expect.objectContaining({ versionKind: 'generation', version: '1' }),
    ]);
    expect(deployment().spec.template.spec.containers[0].image).toBe(OLD);
    const a = await runProcedure(
      rollout,
      inputs({
        image: NEW,
        mode: 'apply',
        plan: p.outputs['plan-file'] ?? '',
        'plan-sha256': p.outputs['plan-sha256'] ?? '',
      }),
      env(),
    );
    expect(a.failure, a.logs.join('\n')).toBeUndefined();
    expect(
      a.result.checks.filter(
        (c) => c.status !== 'ok' && c.status !== 'skipped',
      ),
    ).toEqual([]);
    expect(a.result.status).toBe('ok');
    const d = deployment();
    expect(
      d.spec.template.spec.containers.map((c: { image: string }) => c.image),
    ).toEqual([NEW, 'busybox:1.36']);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '2',
    );
    expect(a.outputs).toMatchObject({
      'image-before': OLD,
      'image-after': NEW,
      'digest-after': DIGEST,
      revision: '2',
      undone: 'false',
      applied: 'true',
    });
    expect(a.result.checks.map((c) => `${c.name} ${c.status}`)).toEqual(
      expect.arrayContaining([
        'image ok',
        'drift ok',
        'rollout ok',
        'health: http ok',
        'health: pods ok',
        'health: deployment ok',
      ]),
    );
    expect(a.result.metrics).toMatchObject({
      revisionBefore: 1,
      revisionAfter: 2,
      undone: 0,
    });
    const images =
      a.result.details?.find((x) => x.startsWith('#### Images')) ?? '';
    expect(images).toContain(`| before | \`${OLD}\` | \`sha256:`);
    expect(images).toContain(`| after | \`${NEW}\` | \`${DIGEST}\` | 2 |`);
  });

  it('a rollout that exceeds its progress deadline is undone: the template equals the previous revision', async () => {
    const before = templateOfImage(OLD);
    sim.setDeploymentBehavior(ns, 'pqc-audit', 'stuck');
    const r = await runProcedure(
      rollout,
      inputs({ image: 'ghcr.io/pqc-ops/pqc-audit:1.5.0', mode: 'auto' }),
      env(),
    );
    expect(r.result.status).toBe('failed');
    expect(r.failure).toBe(
      `rollout: ghcr.io/pqc-ops/pqc-audit:1.5.0: the rollout failed: deployment "pqc-audit" exceeded its progress deadline; undone to revision 1 (${OLD})`,
    );
    expect(r.result.checks.find((c) => c.name === 'image')?.status).toBe(
      'warning',
    );
    expect(r.result.changes.map((c) => c.what)).toEqual([
      `set image pqc-audit: ${OLD} -> ghcr.io/pqc-ops/pqc-audit:1.5.0`,
      `rollout undo to revision 1 (pqc-audit=${OLD}): rolled back`,
    ]);
    const d = deployment();
    expect(d.spec.template).toEqual(before.t);
    // kubectl rollout undo makes the old template the newest revision.
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '3',
    );
    expect(templateOfImage(OLD).revision).toBe(3);
    expect(r.outputs).toMatchObject({
      undone: 'true',
      'image-after': OLD,
      revision: '3',
    });
    expect(r.result.checks.find((c) => c.name === 'undo')).toMatchObject({
      status: 'ok',
      observed:
        'rolled back to revision 1: deployment "pqc-audit" successfully rolled out',
    });
  });

  it('unhealthy after the rollout: undone when undo-on-unhealthy (the default), kept otherwise', async () => {
    app.respond('/health', { status: 503, body: 'liboqs failed to load' });
    const r = await runProcedure(
      rollout,
      inputs({ image: NEW, mode: 'auto' }),
      env(),
    );
    expect(r.failure).toMatch(
      new RegExp(
        `^rollout: ${NEW}: unhealthy after the rollout \\(http: .*503.*\\); undone to revision 1 \\(${OLD}\\)$`,
      ),
    );
    expect(deployment().spec.template.spec.containers[0].image).toBe(OLD);
    expect(deployment().spec.template).toEqual(templateOfImage(OLD).t);

    const kept = await runProcedure(
      rollout,
      inputs({ image: NEW, mode: 'auto', 'undo-on-unhealthy': 'false' }),
      env(),
    );
    expect(kept.failure).toMatch(/^rollout: health: http: .*503/);
    expect(kept.outputs['undone']).toBe('false');
    expect(deployment().spec.template.spec.containers[0].image).toBe(NEW);
  });

  it('a paused Deployment is refused at plan time, nothing written', async () => {
    const d = deployment();
    d.spec.paused = true;
    sim.apply(d);
    sim.clearJournal();
    const r = await runProcedure(rollout, inputs({ image: NEW }), env());
    expect(r.failureKind).toBe('refused');
    expect(r.failure).toMatch(
      /Deployment pqc-audit\/pqc-audit is paused: resume it/,
    );
    expect(sim.writes()).toEqual([]);
  });

  it('a plan whose Deployment generation moved is refused, the Deployment not patched', async () => {
    const p = await runProcedure(rollout, inputs({ image: NEW }), env());
    const d = deployment();
    d.spec.template.metadata.annotations = { team: 'someone-else' };
    sim.apply(d);
    // Let the sim's controller roll the new template (revision 2) before the
    // apply reads it: under load it could read the revision still at 1.
    await sim.settle();
    sim.clearJournal();
    const a = await runProcedure(
      rollout,
      inputs({ image: NEW, mode: 'apply', plan: p.outputs['plan-file'] ?? '' }),
      env(),
    );
    expect(a.failureKind).toBe('refused');
    expect(a.failure).toMatch(
      /the live state drifted since the plan was approved: Deployment pqc-audit\/pqc-audit changed \(generation 1 -> 2; revision 1, pqc-audit=.* -> revision 2, pqc-audit=.*\)/,
    );
    expect(sim.writes().filter((w) => !w.path.includes('/leases'))).toEqual([]);
    expect(deployment().spec.template.spec.containers[0].image).toBe(OLD);
  });

  it('an image already running plans nothing', async () => {
    const r = await runProcedure(
      rollout,
      inputs({ image: OLD, mode: 'auto' }),
      env(),
    );
    expect(r.failure).toBeUndefined();
    expect(r.result.summary).toBe(
      `Deployment ${ns}/pqc-audit already runs ${OLD}.`,
    );
    expect(r.outputs['applied']).toBe('false');
  });
});
