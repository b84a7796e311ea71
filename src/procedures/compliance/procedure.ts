import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { recordPush } from '../../archive/metrics.js';
import type { Kube } from '../../kube/client.js';
import { connect } from '../../kube/connect.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push } from '../../prometheus/pushgateway.js';
import { ResultBuilder, type Check } from '../../report/step-result.js';
import { appCommand, appLogs, appReport, type AppFindings } from './app.js';
import { atLeast, type Evaluation } from './controls.js';
import { complianceInputs, type ComplianceOptions } from './inputs.js';
import { networkEvaluations } from './network.js';
import { rbacEvaluations } from './rbac.js';
import { evaluatePodSpec } from './rules.js';
import {
  controlRows,
  controlTable,
  countBySeverity,
  findingsOf,
  findingsTable,
  score,
  type ControlRow,
} from './score.js';
import { listWorkloads, serviceAccountAutomount } from './workloads.js';

/** The areas of the audit, each one check of the record. */
type Area = 'workloads' | 'network' | 'rbac' | 'application';

/**
 * The monthly compliance audit: workload security settings, network
 * isolation, the service account's permissions and the application's own
 * checks, every finding mapped to NIST SP 800-53 controls, with a score.
 */
export const compliance = defineProcedure({
  name: 'compliance',
  title: 'Monthly compliance audit',
  description:
    "Checks workloads (privileged, host namespaces, non-root, privilege escalation, read-only root, capabilities, resources, pinned images, probes, token automount), default-deny NetworkPolicies, the application's service account against forbidden permissions (SubjectAccessReviews) and the application's own compliance check, report and logs; maps every finding to NIST SP 800-53 controls and scores the result.",
  inputs: complianceInputs,
  outputs: {
    score:
      'The score, 0-100: checks passed weighted by severity (critical 4, high 3, medium 2, low 1).',
    findings: 'How many findings (checks that did not pass).',
    'failed-controls':
      'NIST SP 800-53 controls with at least one finding, comma-separated.',
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const rb = ctx.record({ cluster: kube.server, namespace: o.namespace });
    const byArea = new Map<Area, Evaluation[]>();
    const app: AppFindings = { evaluations: [], details: [], artifacts: [] };
    const pods = await kube.listAll<V1Pod>(
      `list pods ${o.selector} in ${o.namespace}`,
      (c, limit) =>
        kube.core.listNamespacedPod({
          namespace: o.namespace,
          labelSelector: o.selector,
          limit,
          _continue: c,
        }),
    );
    byArea.set(
      'workloads',
      await ctx.log.group('Workloads', () =>
        workloadEvaluations(kube, o.namespace),
      ),
    );
    byArea.set(
      'network',
      await ctx.log.group('Network policies', () =>
        networkEvaluations(kube, o.namespace, o.selector, pods),
      ),
    );
    if (o.forbiddenVerbs.length)
      byArea.set(
        'rbac',
        await ctx.log.group('Service account permissions', () =>
          rbacEvaluations(
            kube,
            o.namespace,
            o.serviceAccount,
            o.forbiddenVerbs,
          ),
        ),
      );
    await ctx.log.group('Application checks', () =>
      applicationChecks(kube, o, ctx, pods, app),
    );
    if (app.evaluations.length) byArea.set('application', app.evaluations);
    const all = [...byArea.values()].flat();
    for (const [area, evals] of byArea) rb.check(areaCheck(area, evals, o));
    return finish(o, ctx, rb, all, app);
  },
  async onFailure(o, _failure, _ctx) {
    const rb = new ResultBuilder('compliance', () => new Date());
    await recordPush(rb, async () => {
      if (!o.pushgatewayUrl) return undefined;
      await push(o.pushgatewayUrl, 'POST', JOBS.compliance, {}, [
        gauge(METRICS.complianceSuccess, 0),
      ]);
      return `${METRICS.complianceSuccess.name} 0 (POST ${JOBS.compliance})`;
    });
    return rb.checks;
  },
});

async function workloadEvaluations(
  kube: Kube,
  namespace: string,
): Promise<Evaluation[]> {
  const workloads = await listWorkloads(kube, namespace);
  const automount = await serviceAccountAutomount(kube, namespace);
  return workloads.flatMap((w) =>
    evaluatePodSpec(
      `${w.kind} ${namespace}/${w.name}`,
      w.spec,
      automount.get(w.spec.serviceAccountName ?? 'default'),
    ),
  );
}

async function applicationChecks(
  kube: Kube,
  o: ComplianceOptions,
  ctx: ProcedureContext,
  pods: V1Pod[],
  app: AppFindings,
): Promise<void> {
  if (o.complianceCommand)
    await appCommand(
      kube,
      {
        namespace: o.namespace,
        selector: o.selector,
        container: o.complianceContainer,
        argv: o.complianceCommand,
        timeoutMs: o.complianceTimeout,
      },
      app,
    );
  if (o.complianceReportUrl)
    await appReport(
      o.complianceReportUrl,
      {
        token: o.complianceReportToken,
        timeoutMs: o.complianceTimeout,
        outputDir: ctx.outputDir,
        stamp: stamp(ctx),
        signal: ctx.signal,
      },
      app,
    );
  if (o.logLines > 0 && pods.length)
    await appLogs(kube, o.namespace, pods, o.logLines, app);
}

function stamp(ctx: ProcedureContext): string {
  return ctx.now().toISOString().replace(/[:.]/g, '-');
}

const AREA_TEXT: Record<Area, string> = {
  workloads: 'workload settings',
  network: 'default-deny NetworkPolicies',
  rbac: 'forbidden permissions',
  application: "the application's own checks",
};

/** One check per area: failed on a finding at fail-on or worse, warning on lesser ones. */
function areaCheck(
  area: Area,
  evals: Evaluation[],
  o: ComplianceOptions,
): Check {
  const findings = findingsOf(evals);
  const c = countBySeverity(findings);
  const gate =
    o.failOn !== 'never'
      ? findings.filter((f) =>
          atLeast(f.severity, o.failOn as Exclude<typeof o.failOn, 'never'>),
        )
      : [];
  const counts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return {
    name: area,
    status: gate.length ? 'failed' : findings.length ? 'warning' : 'ok',
    observed: `${evals.length - findings.length}/${evals.length} checks passed${counts.length ? `; findings: ${counts.join(', ')}` : ''}`,
    threshold: `${AREA_TEXT[area]}; no finding at ${o.failOn === 'never' ? '(fail-on never)' : `${o.failOn} or worse`}`,
    ...(findings.length
      ? {
          detail: findings
            .slice(0, 5)
            .map((f) => `${f.rule}: ${f.object}: ${f.message ?? ''}`)
            .join(' | '),
        }
      : {}),
  };
}

async function writeFindings(
  ctx: ProcedureContext,
  rb: ResultBuilder,
  all: Evaluation[],
  s: number,
  rows: ControlRow[],
): Promise<void> {
  const dir = join(ctx.outputDir, 'reports');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `compliance-${stamp(ctx)}.json`);
  const text =
    JSON.stringify(
      {
        generatedAt: ctx.now().toISOString(),
        score: s,
        controls: rows,
        evaluations: all,
      },
      null,
      1,
    ) + '\n';
  await writeFile(path, text, { mode: 0o600 });
  rb.artifacts.push({
    path,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
}

async function finish(
  o: ComplianceOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  all: Evaluation[],
  app: AppFindings,
) {
  const s = score(all);
  const findings = findingsOf(all);
  const rows = controlRows(all);
  const failedControls = rows.filter((r) => r.failed > 0).map((r) => r.control);
  rb.check({
    name: 'score',
    status: s < o.failBelow ? 'failed' : 'ok',
    observed: `${s} (${all.length - findings.length}/${all.length} checks passed; ${failedControls.length}/${rows.length} controls not satisfied)`,
    threshold: `≥ ${o.failBelow}`,
  });
  rb.details.push(
    `#### NIST SP 800-53 controls (${rows.length - failedControls.length}/${rows.length} satisfied, score ${s})\n\n${controlTable(rows)}`,
    `#### Findings (${findings.length})\n\n${findings.length ? findingsTable(findings) : 'None.'}`,
    ...app.details,
  );
  rb.artifacts.push(...app.artifacts);
  await writeFindings(ctx, rb, all, s, rows);
  const bySev = countBySeverity(findings);
  Object.assign(rb.metrics, {
    score: s,
    findings: findings.length,
    ...bySev,
    controls: rows.length,
    failedControls: failedControls.length,
  });
  for (const f of findings
    .filter((x) => atLeast(x.severity, 'high'))
    .slice(0, 20))
    rb.followUps.push(
      `Compliance (${f.controls.join(', ')}, ${f.severity}): ${f.object}: ${f.message ?? f.rule}; fix: ${f.fix ?? ''}`,
    );
  const failed = rb.checks.filter((c) => c.status === 'failed');
  await pushMetrics(o, rb, s, bySev, rows, failed.length === 0);
  const result = rb.finish(
    `Compliance score ${s} (fail below ${o.failBelow}); ${findings.length} finding(s): ${Object.entries(
      bySev,
    )
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}; controls not satisfied: ${failedControls.join(', ') || 'none'}.`,
  );
  const gate = failed.filter((c) => c.name !== 'score');
  const why = [
    s < o.failBelow ? `score ${s} is below ${o.failBelow}` : '',
    gate.length
      ? `findings at ${o.failOn} or worse in ${gate.map((c) => c.name).join(', ')}: ${findings
          .filter((f) => o.failOn !== 'never' && atLeast(f.severity, o.failOn))
          .slice(0, 3)
          .map((f) => `${f.rule} (${f.object})`)
          .join(', ')}`
      : '',
  ].filter(Boolean);
  return {
    result,
    outputs: {
      score: String(s),
      findings: String(findings.length),
      'failed-controls': failedControls.join(','),
    },
    failure: why.length ? `compliance: ${why.join('; ')}` : undefined,
  };
}

async function pushMetrics(
  o: ComplianceOptions,
  rb: ResultBuilder,
  s: number,
  bySev: Record<string, number>,
  rows: ControlRow[],
  ok: boolean,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!o.pushgatewayUrl) return undefined;
    const g = [
      gauge(METRICS.complianceScore, s),
      gauge(METRICS.complianceSuccess, ok ? 1 : 0),
      ...Object.entries(bySev).map(([severity, n]) =>
        gauge(METRICS.complianceFindings, n, { severity }),
      ),
      ...rows.map((r) =>
        gauge(METRICS.complianceControl, r.failed ? 0 : 1, {
          control: r.control,
        }),
      ),
    ];
    await push(o.pushgatewayUrl, 'PUT', JOBS.compliance, {}, g);
    return `${METRICS.complianceScore.name} ${s}, ${METRICS.complianceSuccess.name} ${ok ? 1 : 0}, ${rows.length} controls (PUT ${JOBS.compliance})`;
  });
}
