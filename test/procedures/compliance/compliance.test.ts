// The compliance audit against kube-sim manifests written here: a compliant
// namespace scores 100; in the other, each workload carries one violation
// and the findings, their controls and the score are exactly the expected
// ones. The SubjectAccessReviews are answered by kube-sim's RBAC.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compliance } from '../../../src/procedures/compliance/procedure.js';
import { parsePermission } from '../../../src/procedures/compliance/rbac.js';
import { namespace } from '../../helpers/kube-objects.js';
import { runProcedure } from '../../helpers/procedure.js';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.js';
import {
  startHttpEndpoint,
  startPushgateway,
  type HttpEndpoint,
  type Pushgateway,
} from '../../services/index.js';
import {
  baseObjects,
  NS,
  RULE_CONTROLS,
  RULE_SEVERITY,
  VIOLATIONS,
  WEIGHTS,
  workload,
} from './fixtures.js';

let sim: KubeSim;
let app: HttpEndpoint;
let gw: Pushgateway;
let checkExit = 0;

const CLEAN = 'clean';

beforeAll(async () => {
  sim = await startKubeSim({
    objects: [
      ...baseObjects(),
      workload('pqc-audit', () => undefined, 1, { app: 'pqc-audit' }),
      ...VIOLATIONS.map(([name, change]) => workload(name, change)),
      namespace(CLEAN),
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'pqc-audit', namespace: CLEAN },
      },
      {
        ...workload('pqc-audit', () => undefined, 1, { app: 'pqc-audit' }),
        metadata: { name: 'pqc-audit', namespace: CLEAN },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: CLEAN },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
    ],
  });
  sim.addExecHook({
    command: 'python',
    run: ({ argv, stdout }) => {
      stdout(
        `${argv.join(' ')}\nCOMPLIANCE summary: ${checkExit ? '2 controls failing' : 'all controls pass'}\n`,
      );
      return checkExit;
    },
  });
  app = await startHttpEndpoint();
  app.respond('/admin/compliance-report', {
    status: 200,
    body: { framework: 'nist', compliant: true, score: 97 },
  });
  gw = await startPushgateway();
  await sim.settle();
  for (const [ns, lines] of [
    [
      NS,
      'INFO started\nCOMPLIANCE SC-13 ML-KEM-768 enabled: PASS\nCOMPLIANCE AC-6 admin API exposed: FAIL\n',
    ],
    [CLEAN, 'COMPLIANCE SC-13 ML-KEM-768 enabled: PASS\n'],
  ] as const) {
    const [pod] = sim.list('v1', 'Pod', ns);
    sim.appendLog(ns, pod!.metadata.name, 'app', lines);
  }
});
afterAll(async () => {
  await sim?.close();
  await app?.close();
  await gw?.stop();
});

function audit(inputs: Record<string, string>) {
  return runProcedure(compliance, {
    kubeconfig: sim.kubeconfigPath,
    namespace: NS,
    'compliance-report-url': `${app.url}/admin/compliance-report`,
    ...inputs,
  });
}

interface Ev {
  rule: string;
  severity: keyof typeof WEIGHTS;
  object: string;
  controls: string[];
  passed: boolean;
}

function evaluations(r: Awaited<ReturnType<typeof audit>>): Ev[] {
  const file = r.result.artifacts.find((a) =>
    /\/compliance-\d{4}-[^/]*\.json$/.test(a.path),
  )!;
  return JSON.parse(readFileSync(file.path, 'utf8')).evaluations;
}

describe('compliance', () => {
  it('a compliant namespace: every check passes, score 100, every control satisfied', async () => {
    const r = await audit({ namespace: CLEAN });
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({
      score: '100',
      findings: '0',
      'failed-controls': '',
    });
    expect(r.result.checks.map((c) => [c.name, c.status])).toEqual([
      ['workloads', 'ok'],
      ['network', 'ok'],
      ['rbac', 'ok'],
      ['application', 'ok'],
      ['score', 'ok'],
    ]);
    expect(r.markdown).toContain(
      '| SC-7(5) | Boundary Protection \\| Deny by Default — Allow by Exception | 2 | 2 | 0 | ✅ satisfied |  |',
    );
  });

  it('each violation gives exactly its finding, with its controls, and the score follows', async () => {
    const r = await audit({});
    const evs = evaluations(r);
    const findings = evs
      .filter((e) => !e.passed)
      .map((e) => `${e.rule} @ ${e.object} [${e.controls.join(', ')}]`);
    const want = [
      ...VIOLATIONS.flatMap(([name, , rules]) =>
        rules.map((rule) => {
          const pod = [
            'host-network',
            'host-pid',
            'host-ipc',
            'service-account-token',
          ].includes(rule);
          return `${rule} @ Deployment ${NS}/${name}${pod ? '' : ' container app'} [${RULE_CONTROLS[rule].join(', ')}]`;
        }),
      ),
      `network-default-deny-egress @ pods app=pqc-audit in ${NS} [${RULE_CONTROLS['network-default-deny-egress'].join(', ')}]`,
      `rbac-forbidden @ ServiceAccount ${NS}/pqc-audit: create pods/exec [AC-3, AC-6]`,
      `app-compliance-logs @ logs of 1 pod(s) in ${NS} [AU-6, CA-7]`,
    ];
    expect(findings.sort()).toEqual(want.sort());
    // The score, from the weights: 14 workloads of 13 single-container checks,
    // 2 network, 5 RBAC (one critical), 3 application checks.
    const perWorkload = Object.values(RULE_SEVERITY).reduce(
      (a, s) => a + WEIGHTS[s],
      0,
    );
    const total = 14 * perWorkload + (3 + 2) + (4 * 3 + 4) + (3 + 2 + 2);
    const failed =
      VIOLATIONS.flatMap(([, , rules]) => rules).reduce(
        (a, rule) => a + WEIGHTS[RULE_SEVERITY[rule]],
        0,
      ) +
      2 +
      3 +
      2;
    const score = Math.floor((1000 * (total - failed)) / total) / 10;
    expect(evs.length).toBe(14 * 13 + 2 + 5 + 3);
    expect(r.outputs['score']).toBe(String(score));
    expect(r.outputs['findings']).toBe(String(want.length));
    expect(r.outputs['failed-controls']).toBe(
      'AC-3,AC-4,AC-6,AU-6,CA-7,CM-2,CM-6,CM-7,SC-6,SC-7,SC-7(5),SC-39,SI-4,SI-7',
    );
    // fail-on high: the critical and high findings fail the step; the score passes 80.
    expect(r.result.checks.map((c) => [c.name, c.status])).toEqual([
      ['workloads', 'failed'],
      ['network', 'warning'],
      ['rbac', 'failed'],
      ['application', 'warning'],
      ['score', 'ok'],
    ]);
    expect(r.failure).toMatch(
      /^compliance: findings at high or worse in workloads, rbac: privileged \(Deployment audit\/privileged container app\), /,
    );
    // The control-by-control table reads as the NIST report.
    expect(r.markdown).toContain(
      '| SC-13 | Cryptographic Protection | 1 | 1 | 0 | ✅ satisfied |  |',
    );
    expect(r.markdown).toContain(
      '| SC-39 | Process Isolation | 28 | 26 | 2 | ❌ not satisfied | host-ipc, host-pid |',
    );
    expect(r.markdown).toMatch(
      /\| critical \| privileged \| Deployment audit\/privileged container app \| runs privileged \| remove securityContext.privileged \(or set it to false\) \| AC-6, CM-7 \|/,
    );
    // High and critical findings become next items of the maintenance log.
    expect(r.result.followUps).toContain(
      'Compliance (AC-3, AC-6, high): ServiceAccount audit/pqc-audit: create pods/exec: may create pods/exec in audit (RBAC: allowed by the simulator); fix: remove the Role or ClusterRole rule that grants it (kubectl auth can-i --list --as=system:serviceaccount:audit:pqc-audit)',
    );
  });

  it("runs the application's check, POSTs the NIST report request and keeps its answer", async () => {
    app.requests.length = 0;
    checkExit = 1;
    try {
      const r = await audit({ 'fail-on': 'never', 'fail-below': '0' });
      expect(r.failure).toBeUndefined();
      expect(r.result.status).toBe('warning');
      const ev = evaluations(r).find((e) => e.rule === 'app-compliance-check')!;
      expect(ev).toMatchObject({
        passed: false,
        object: 'command python -m pqc_migration_audit.compliance_check',
      });
      expect(r.markdown).toContain('COMPLIANCE summary: 2 controls failing');
      expect(
        app.requests.map((q) => [q.method, q.body, q.headers['content-type']]),
      ).toEqual([
        [
          'POST',
          '{"framework":"nist","output":"detailed"}',
          'application/json',
        ],
      ]);
      expect(
        r.result.artifacts.some(
          (a) =>
            a.path.endsWith('.json') &&
            a.path.includes('compliance-nist-report-'),
        ),
      ).toBe(true);
      expect(r.markdown).toContain('"score": 97');
    } finally {
      checkExit = 0;
    }
  });

  it('fail-below fails on the score alone, and the metrics reach the Pushgateway', async () => {
    const r = await audit({
      'fail-on': 'never',
      'fail-below': '95',
      'pushgateway-url': gw.url,
    });
    expect(r.failure).toBe(
      `compliance: score ${r.outputs['score']} is below 95`,
    );
    expect(
      await gw.sample('pqc_compliance_score', { job: 'pqc-ops-compliance' }),
    ).toBe(Number(r.outputs['score']));
    expect(
      await gw.sample('pqc_compliance_findings', { severity: 'critical' }),
    ).toBe(1);
    expect(
      await gw.sample('pqc_compliance_control_passed', { control: 'SC-13' }),
    ).toBe(1);
    expect(
      await gw.sample('pqc_compliance_control_passed', { control: 'SC-39' }),
    ).toBe(0);
    expect(await gw.sample('pqc_compliance_success')).toBe(0);
  });

  it('without a default-deny policy the ingress finding is high and fails the step', async () => {
    sim.remove(
      'networking.k8s.io/v1',
      'NetworkPolicy',
      NS,
      'default-deny-ingress',
    );
    try {
      const r = await audit({
        'forbidden-verbs': 'none',
        'compliance-command': 'none',
      });
      const ev = evaluations(r).find(
        (e) => e.rule === 'network-default-deny-ingress',
      )!;
      expect(ev).toMatchObject({ passed: false, severity: 'high' });
      expect(r.result.checks.find((c) => c.name === 'network')?.status).toBe(
        'failed',
      );
      expect(r.result.checks.map((c) => c.name)).not.toContain('rbac');
    } finally {
      sim.apply(baseObjects()[4]);
    }
  });
});

describe('forbidden-verbs', () => {
  it.each([
    [
      'list secrets cluster-wide',
      { verb: 'list', resource: 'secrets', group: '', clusterWide: true },
    ],
    [
      'create pods/exec',
      {
        verb: 'create',
        resource: 'pods',
        group: '',
        subresource: 'exec',
        clusterWide: false,
      },
    ],
    [
      'patch deployments.apps/scale',
      {
        verb: 'patch',
        resource: 'deployments',
        group: 'apps',
        subresource: 'scale',
        clusterWide: false,
      },
    ],
    ['* *', { verb: '*', resource: '*', group: '*', clusterWide: false }],
  ])('%s', (text, want) =>
    expect(parsePermission(text)).toMatchObject({ ...want, text }),
  );
});
