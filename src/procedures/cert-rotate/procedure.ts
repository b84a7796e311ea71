import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordPush } from '../../archive/metrics.js';
import { parseEndpoint } from '../../certs/tls.js';
import { ConfigurationError, errorMessage } from '../../errors.js';
import { namespaceScope } from '../../inputs/groups.js';
import type { OptionsOf } from '../../inputs/spec.js';
import { connect } from '../../kube/connect.js';
import {
  changeControlOutputs,
  changeControlValues,
  checkPlanInput,
  runChangeControlled,
} from '../../plan/change-control.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push, type Gauge } from '../../prometheus/pushgateway.js';
import { ResultBuilder } from '../../report/step-result.js';
import {
  checkBundles,
  checkEndpoints,
  type ExternalFindings,
} from './external.js';
import { certRotateInputs } from './inputs.js';
import { certMutation, type CertRotateState } from './mutation.js';
import { certificatesTable, renewalsTable } from './report.js';

type CertRotateOptions = OptionsOf<typeof certRotateInputs>;

const outputs = {
  due: 'How many cert-manager Certificates are due (planned for renewal).',
  renewed: 'How many Certificates this run renewed.',
  'quantum-vulnerable':
    'How many certificates (cluster, TLS endpoints, CA bundle entries) use a classical key or signature.',
  ...changeControlOutputs,
};

/** How long one TLS endpoint may take to connect and hand over its chain. */
const TLS_TIMEOUT_MS = 10_000;

/**
 * The monthly certificate rotation: scan cert-manager Certificates, served TLS
 * chains and CA bundles, flag what expires within the window and what is not
 * post-quantum, and renew the due Certificates as `cmctl renew` does, under
 * plan/apply change control.
 */
export const certRotate = defineProcedure({
  name: 'cert-rotate',
  title: 'Certificate rotation',
  description:
    'Scans cert-manager Certificates, TLS endpoints and CA bundles for expiry and post-quantum readiness, and renews the due Certificates as cmctl renew does, under plan/apply change control.',
  inputs: certRotateInputs,
  outputs,
  validate(o) {
    for (const e of o.tlsEndpoints) endpointOf(e);
    for (const f of o.caBundles) checkBundleFile(f);
    checkPlanInput(o, 'cert-rotate');
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const scope = namespaceScope(o.namespaces);
    const rb = ctx.record({
      cluster: kube.server,
      namespaces: scope === '*' ? '*' : scope.join(','),
    });
    const state: CertRotateState = { rows: [], renewals: [] };
    const cc = await runChangeControlled(
      certMutation(
        kube,
        {
          scope,
          selector: o.selector,
          within: o.within,
          includeNotReady: o.includeNotReady,
          clearFailedRequests: o.clearFailedRequests,
          waitTimeout: o.waitTimeout,
          lockNamespace:
            o.lockNamespace ??
            (scope === '*' ? kube.contextNamespace : (scope[0] ?? 'default')),
          lockName: o.lockName,
          parameters: {
            selector: o.selector ?? null,
            within: o.within,
            includeNotReady: o.includeNotReady,
            clearFailedRequests: o.clearFailedRequests,
          },
        },
        ctx,
        rb,
        state,
      ),
      o,
      rb,
      ctx,
    );
    const external = await checkExternal(o, ctx);
    const due = cc.plan.changes.filter(
      (c) => c.params?.['kind'] === 'renew',
    ).length;
    const counts = recordScan(rb, state, due, o.mode !== 'apply', external);
    rb.details.push(...external.details);
    await writeInventory(rb, ctx, state, external);
    await pushCertMetrics(o, rb, counts);
    const failed = rb.checks.find((c) => c.status === 'failed');
    const result = rb.finish(headline(counts, cc.applied, failed?.observed));
    return {
      result,
      outputs: {
        due: String(counts.due),
        renewed: String(counts.renewed),
        'quantum-vulnerable': String(counts.quantumVulnerable),
        ...changeControlValues(cc),
      },
      failure: failed
        ? `cert-rotate: ${failed.name}: ${failed.observed}`
        : undefined,
    };
  },
  async onFailure(o, _failure, ctx) {
    const rb = new ResultBuilder('cert-rotate', ctx.now);
    await recordPush(rb, async () => {
      if (!o.pushgatewayUrl) return undefined;
      const g = [gauge(METRICS.certRotateSuccess, 0)];
      await push(o.pushgatewayUrl, 'POST', JOBS.certRotate, {}, g);
      return `${METRICS.certRotateSuccess.name} 0 (POST ${JOBS.certRotate})`;
    });
    return rb.checks;
  },
});

function endpointOf(text: string): ReturnType<typeof parseEndpoint> {
  try {
    return parseEndpoint(text);
  } catch (e) {
    throw new ConfigurationError(`input 'tls-endpoints': ${errorMessage(e)}`);
  }
}

function checkBundleFile(file: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    accessSync(file, constants.R_OK);
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : errorMessage(e);
    throw new ConfigurationError(
      `input 'ca-bundles': ${file}: ${why} (give paths of readable PEM files, one per line)`,
    );
  }
}

async function checkExternal(
  o: CertRotateOptions,
  ctx: ProcedureContext,
): Promise<ExternalFindings> {
  const out: ExternalFindings = {
    checks: [],
    details: [],
    certs: [],
    quantumVulnerable: 0,
  };
  const now = ctx.now();
  await checkEndpoints(
    o.tlsEndpoints.map(endpointOf),
    { within: o.within, timeoutMs: TLS_TIMEOUT_MS, now, signal: ctx.signal },
    out,
  );
  checkBundles(o.caBundles, { within: o.within, now }, out);
  return out;
}

interface Counts {
  scanned: number;
  due: number;
  renewed: number;
  failed: number;
  quantumVulnerable: number;
  earliest: number | undefined;
}

/** The checks of the scan and the renewals, and the counts behind the outputs. */
function recordScan(
  rb: ResultBuilder,
  state: CertRotateState,
  due: number,
  scanned: boolean,
  external: ExternalFindings,
): Counts {
  const { rows, renewals } = state;
  const vulnerable = rows.filter((r) => r.leaf?.quantum === 'vulnerable');
  if (scanned) {
    const findings = rows.filter((r) => r.findings.length > 0);
    rb.check({
      name: 'certificates',
      status: due > 0 || findings.length > 0 ? 'warning' : 'ok',
      observed: `${rows.length} scanned, ${due} due, ${vulnerable.length} quantum-vulnerable${findings.length ? `, ${findings.length} with findings` : ''}`,
      ...(findings.length
        ? {
            detail: findings
              .slice(0, 5)
              .map((r) => `${r.namespace}/${r.name}: ${r.findings.join('; ')}`)
              .join(' | '),
          }
        : {}),
    });
    rb.details.push(certificatesTable(rows));
  }
  for (const x of renewals)
    rb.check({
      name: x.object,
      status: x.done ? 'ok' : 'failed',
      observed: x.done
        ? `renewed: revision ${x.before.revision} -> ${x.after?.revision}, notAfter ${x.before.notAfter ?? 'none'} -> ${x.after?.notAfter}`
        : `not renewed: ${x.problem ?? 'unknown'}`,
    });
  if (renewals.length) rb.details.push(renewalsTable(renewals));
  rb.checks.push(...external.checks);
  const notAfters = [
    ...rows.map(
      (r) => r.leaf?.notAfter.getTime() ?? Date.parse(r.notAfter ?? ''),
    ),
    ...external.certs.map((c) => c.notAfter.getTime()),
  ].filter(Number.isFinite);
  const renewed = renewals.filter((x) => x.done).length;
  const counts: Counts = {
    scanned: rows.length + external.certs.length,
    due,
    renewed,
    failed:
      renewals.length -
      renewed +
      external.checks.filter((c) => c.status === 'failed').length,
    quantumVulnerable: vulnerable.length + external.quantumVulnerable,
    earliest: notAfters.length
      ? notAfters.reduce((a, b) => Math.min(a, b))
      : undefined,
  };
  for (const k of [
    'scanned',
    'due',
    'renewed',
    'failed',
    'quantumVulnerable',
  ] as const)
    rb.metrics[k] = counts[k];
  if (counts.earliest !== undefined)
    rb.metrics['earliestExpiry'] = Math.floor(counts.earliest / 1000);
  if (counts.quantumVulnerable > 0)
    rb.followUps.push(
      `${counts.quantumVulnerable} certificate(s) still use classical (quantum-vulnerable) keys or signatures: plan their move to ML-DSA or a composite.`,
    );
  return counts;
}

function headline(c: Counts, applied: boolean, failure?: string): string {
  if (failure) return `Certificate rotation failed: ${failure}`;
  if (applied) return `Renewed ${c.renewed} certificate(s).`;
  return c.due > 0
    ? `${c.due} certificate(s) due for renewal (planned, not applied); ${c.quantumVulnerable} quantum-vulnerable.`
    : `No certificate due; ${c.scanned} scanned, ${c.quantumVulnerable} quantum-vulnerable.`;
}

/** The full inventory (every Certificate, served and bundled certificate) as a JSON artifact. */
async function writeInventory(
  rb: ResultBuilder,
  ctx: ProcedureContext,
  state: CertRotateState,
  external: ExternalFindings,
): Promise<void> {
  if (state.rows.length === 0 && external.certs.length === 0) return;
  const doc = {
    generatedAt: ctx.now().toISOString(),
    certificates: state.rows.map(
      ({ object: _o, failedRequest: _f, ...r }) => r,
    ),
    external: external.certs,
  };
  const dir = join(ctx.outputDir, 'reports');
  await mkdir(dir, { recursive: true });
  const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `cert-rotate-inventory-${stamp}.json`);
  const text = JSON.stringify(doc, null, 1) + '\n';
  await writeFile(path, text, { mode: 0o600 });
  rb.artifacts.push({
    path,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
}

async function pushCertMetrics(
  o: CertRotateOptions,
  rb: ResultBuilder,
  c: Counts,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!o.pushgatewayUrl) return undefined;
    const ok = !rb.checks.some((x) => x.status === 'failed');
    const g: Gauge[] = [
      gauge(METRICS.certScanned, c.scanned),
      gauge(METRICS.certDue, c.due),
      gauge(METRICS.certRenewed, c.renewed),
      gauge(METRICS.certFailed, c.failed),
      gauge(METRICS.certQuantumVulnerable, c.quantumVulnerable),
      gauge(METRICS.certRotateSuccess, ok ? 1 : 0),
      ...(c.earliest !== undefined
        ? [gauge(METRICS.certEarliestExpiry, Math.floor(c.earliest / 1000))]
        : []),
    ];
    await push(o.pushgatewayUrl, 'PUT', JOBS.certRotate, {}, g);
    return `${g.map((x) => `${x.name} ${x.value}`).join(', ')} (PUT ${JOBS.certRotate})`;
  });
}
