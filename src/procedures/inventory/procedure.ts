import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordPush } from '../../archive/metrics.js';
import { namespaceScope } from '../../inputs/groups.js';
import { checkPrometheusInputs } from '../../inputs/groups-prometheus.js';
import { connect } from '../../kube/connect.js';
import { databaseMode } from '../../postgres/source.js';
import { defineProcedure, type ProcedureContext } from '../../procedure.js';
import { gauge, JOBS, METRICS } from '../../prometheus/catalog.js';
import { push } from '../../prometheus/pushgateway.js';
import { ResultBuilder } from '../../report/step-result.js';
import { KINDS, type Kind } from './collect.js';
import {
  componentTable,
  describe,
  FINDING_KINDS,
  followUp,
  isFinding,
  judgeAll,
  kindCheck,
  type Judged,
  type Reading,
} from './findings.js';
import { inventoryInputs, type InventoryOptions } from './inputs.js';
import { readAll } from './read.js';

const DAY_MS = 86_400_000;
/** Outdated packages named in the next item. */
const PACKAGES_NAMED = 10;

/**
 * The quarterly version review: what actually runs (the API server, cert-
 * manager, every image with its digest, PostgreSQL, Prometheus, the
 * application's outdated Python packages) against a policy of minimum
 * versions and end-of-life dates. Reads only.
 */
export const inventory = defineProcedure({
  name: 'inventory',
  title: 'Quarterly version review',
  description:
    "Reports what runs: the Kubernetes server (/version), cert-manager's controller, every container image with its digest, the PostgreSQL server version, Prometheus' build info and the application's outdated Python packages (pip through exec); flags what is out of support or within horizon of it against a policy of minimum versions and end-of-life dates, and lists it as next maintenance items. Changes nothing.",
  inputs: inventoryInputs,
  outputs: {
    components:
      'Everything read, as JSON: kind, name, version, digest, where, support (the policy judgement) and endOfLife (YYYY-MM-DD or null).',
    findings:
      'The flagged components, as JSON: kind (end-of-life, end-of-life-soon, below-minimum), component, version, where, date, days, minimum.',
    'out-of-support':
      'How many components are past their end of life or below the minimum.',
    expiring: 'How many components reach their end of life within horizon.',
  },
  validate(o) {
    checkPrometheusInputs(o);
    databaseMode(o, false);
  },
  async run(o, ctx) {
    const kube = await connect(o, ctx);
    const scope = namespaceScope(o.namespaces);
    const appNamespace = scope === '*' ? kube.contextNamespace : scope[0];
    const rb = ctx.record({
      cluster: kube.server,
      namespaces: scope === '*' ? '*' : scope.join(','),
      policy: o.policy.source,
    });
    const readings = await readAll(
      kube,
      scope,
      appNamespace ?? 'default',
      o,
      ctx,
    );
    const now = ctx.now().getTime();
    const judged = new Map<Kind, Judged[]>();
    for (const [kind, r] of readings)
      judged.set(kind, judgeAll(r.components, o.policy, now, o.horizon));
    const horizonDays = Math.round(o.horizon / DAY_MS);
    for (const kind of KINDS)
      rb.check(
        kindCheck(
          kind,
          readings.get(kind) ?? skippedReading,
          judged.get(kind) ?? [],
          {
            failOn: o.failOn,
            horizonDays,
          },
        ),
      );
    return finish(
      o,
      ctx,
      rb,
      readings,
      [...judged.values()].flat(),
      horizonDays,
    );
  },
  async onFailure(o, _failure, _ctx) {
    const rb = new ResultBuilder('inventory', () => new Date());
    await recordPush(rb, async () => {
      if (!o.pushgatewayUrl) return undefined;
      await push(o.pushgatewayUrl, 'POST', JOBS.inventory, {}, [
        gauge(METRICS.inventorySuccess, 0),
      ]);
      return `${METRICS.inventorySuccess.name} 0 (POST ${JOBS.inventory})`;
    });
    return rb.checks;
  },
});

const skippedReading: Reading = { components: [], skipped: 'not read' };

function endOfLife(c: Judged): string | null {
  const j = c.judgement;
  return 'eol' in j && j.eol ? j.eol.date : null;
}

function componentsJson(all: Judged[]) {
  return all.map((c) => ({
    kind: c.kind,
    name: c.name,
    version: c.version ?? null,
    digest: c.digest ?? null,
    ...(c.image ? { image: c.image } : {}),
    ...(c.latest ? { latest: c.latest } : {}),
    where: c.where,
    support: c.judgement.kind,
    endOfLife: endOfLife(c),
  }));
}

function findingsJson(flagged: Judged[]) {
  return flagged.map((c) => {
    const j = c.judgement;
    return {
      kind: j.kind,
      component: c.kind === 'image' ? (c.image ?? c.name) : c.name,
      version: c.version ?? null,
      where: c.where,
      date: 'eol' in j && j.eol ? j.eol.date : null,
      days: j.kind === 'end-of-life-soon' ? j.days : null,
      minimum: j.kind === 'below-minimum' ? j.minimum : null,
    };
  });
}

async function writeReport(
  ctx: ProcedureContext,
  rb: ResultBuilder,
  body: object,
): Promise<void> {
  const dir = join(ctx.outputDir, 'reports');
  await mkdir(dir, { recursive: true });
  const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `inventory-${stamp}.json`);
  const text = JSON.stringify(body, null, 1) + '\n';
  await writeFile(path, text, { mode: 0o600 });
  rb.artifacts.push({
    path,
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
  });
}

function nextItems(rb: ResultBuilder, all: Judged[], source: string): void {
  for (const c of all) {
    const item = followUp(c, source);
    if (item) rb.followUps.push(item);
  }
  const outdated = all.filter((c) => c.kind === 'python-package');
  if (outdated.length)
    rb.followUps.push(
      `Inventory: ${outdated.length} Python package(s) of the application have newer releases (${outdated
        .slice(0, PACKAGES_NAMED)
        .map((c) => `${c.name} ${c.version ?? ''} → ${c.latest ?? '?'}`)
        .join(
          ', ',
        )}${outdated.length > PACKAGES_NAMED ? ', ...' : ''}): review them and upgrade them in the image, through the weekly rollout.`,
    );
}

async function finish(
  o: InventoryOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  readings: Map<Kind, Reading>,
  all: Judged[],
  horizonDays: number,
) {
  const flagged = all.filter((c) => isFinding(c.judgement));
  const out = flagged.filter((c) => c.judgement.kind !== 'end-of-life-soon');
  const soon = flagged.filter((c) => c.judgement.kind === 'end-of-life-soon');
  rb.details.push(
    `#### What runs (${all.length} component(s); policy: ${o.policy.source}, horizon ${horizonDays} days)\n\n${all.length ? componentTable(all) : 'Nothing read.'}`,
  );
  nextItems(rb, all, o.policy.source);
  const byKind = Object.fromEntries(
    FINDING_KINDS.map((k) => [
      k,
      flagged.filter((c) => c.judgement.kind === k).length,
    ]),
  ) as Record<(typeof FINDING_KINDS)[number], number>;
  Object.assign(rb.metrics, {
    components: all.length,
    outOfSupport: out.length,
    expiring: soon.length,
  });
  const components = componentsJson(all);
  const findings = findingsJson(flagged);
  await writeReport(ctx, rb, {
    generatedAt: ctx.now().toISOString(),
    policy: o.policy.source,
    components,
    findings,
  });
  const incomplete = rb.checks.filter(
    (c) => c.status === 'failed' && c.observed.startsWith('not read:'),
  );
  const gate = rb.checks.some(
    (c) => c.status === 'failed' && !c.observed.startsWith('not read:'),
  );
  await pushMetrics(o, rb, readings, all, byKind, !incomplete.length && !gate);
  const result = rb.finish(
    `${all.length} component(s) read; ${out.length} out of support${out.length ? ` (${out.map(describe).join(', ')})` : ''}, ${soon.length} ending within ${horizonDays} days${soon.length ? ` (${soon.map(describe).join(', ')})` : ''}.`,
  );
  const why = [
    incomplete.length
      ? `incomplete: ${incomplete.map((c) => `${c.name}: ${c.observed.slice(10)}`).join('; ')}`
      : '',
    gate
      ? `${(o.failOn === 'horizon' ? flagged : out).map((c) => `${describe(c)} ${c.judgement.kind}`).join(', ')}`
      : '',
  ].filter(Boolean);
  return {
    result,
    outputs: {
      components: JSON.stringify(components),
      findings: JSON.stringify(findings),
      'out-of-support': String(out.length),
      expiring: String(soon.length),
    },
    failure: why.length ? `inventory: ${why.join('; ')}` : undefined,
  };
}

async function pushMetrics(
  o: InventoryOptions,
  rb: ResultBuilder,
  readings: Map<Kind, Reading>,
  all: Judged[],
  byKind: Record<string, number>,
  ok: boolean,
): Promise<void> {
  await recordPush(rb, async () => {
    if (!o.pushgatewayUrl) return undefined;
    const g = [
      gauge(METRICS.inventorySuccess, ok ? 1 : 0),
      ...Object.entries(byKind).map(([kind, n]) =>
        gauge(METRICS.inventoryFindings, n, { kind }),
      ),
      ...[...readings]
        .filter(([, r]) => !r.error && !r.skipped)
        .map(([kind, r]) =>
          gauge(METRICS.inventoryComponents, r.components.length, { kind }),
        ),
      ...(readings.get('python-package')?.skipped ||
      readings.get('python-package')?.error
        ? []
        : [
            gauge(
              METRICS.inventoryOutdatedPackages,
              all.filter((c) => c.kind === 'python-package').length,
            ),
          ]),
    ];
    await push(o.pushgatewayUrl, 'PUT', JOBS.inventory, {}, g);
    return `${METRICS.inventorySuccess.name} ${ok ? 1 : 0}, findings ${Object.entries(
      byKind,
    )
      .map(([k, n]) => `${k}=${n}`)
      .join(' ')} (PUT ${JOBS.inventory})`;
  });
}
