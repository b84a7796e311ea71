/** Reading each kind of component, each failure kept to its own kind. */
import { errorMessage } from '../../errors.js';
import { prometheusTarget } from '../../inputs/groups-prometheus.js';
import type { Kube } from '../../kube/client.js';
import { readServerVersion as kubeVersion } from '../../kube/server-version.js';
import { databaseEndpoint, databaseMode } from '../../postgres/source.js';
import {
  readServerVersion as pgVersion,
  versionOfNum,
} from '../../postgres/version.js';
import type { ProcedureContext } from '../../procedure.js';
import { buildInfo } from '../../prometheus/query.js';
import {
  certManagerComponent,
  imageComponents,
  listPods,
  outdatedPackages,
  type Kind,
} from './collect.js';
import type { Reading } from './findings.js';
import type { InventoryOptions } from './inputs.js';

/** Runs one reader; a throw becomes the kind's error (a cancel still throws). */
async function attempt(
  ctx: ProcedureContext,
  fn: () => Promise<Reading>,
): Promise<Reading> {
  try {
    return await fn();
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return { components: [], error: errorMessage(e) };
  }
}

/** Every kind, read in turn, each in its own log group. */
export async function readAll(
  kube: Kube,
  scope: readonly string[] | '*',
  appNamespace: string,
  o: InventoryOptions,
  ctx: ProcedureContext,
): Promise<Map<Kind, Reading>> {
  const readers: [Kind, string, () => Promise<Reading>][] = [
    ['kubernetes', 'Kubernetes API server', () => kubernetes(kube)],
    ['cert-manager', 'cert-manager', () => certManager(kube, o)],
    ['postgresql', 'PostgreSQL', () => postgres(kube, appNamespace, o, ctx)],
    ['prometheus', 'Prometheus', () => prometheus(o, ctx)],
    ['image', 'Container images', () => images(kube, scope)],
    ['python-package', 'Python packages', () => python(kube, appNamespace, o)],
  ];
  const out = new Map<Kind, Reading>();
  for (const [kind, title, fn] of readers)
    out.set(kind, await ctx.log.group(title, () => attempt(ctx, fn)));
  return out;
}

async function kubernetes(kube: Kube): Promise<Reading> {
  const v = await kubeVersion(kube);
  return {
    components: [
      {
        kind: 'kubernetes',
        name: 'Kubernetes API server',
        version: v.gitVersion,
        where: kube.server,
        detail: `major ${v.major}, minor ${v.minor}${v.platform ? `, ${v.platform}` : ''}`,
      },
    ],
  };
}

async function certManager(kube: Kube, o: InventoryOptions): Promise<Reading> {
  const ref = o.certManager;
  if (!ref) return { components: [], skipped: 'cert-manager: none' };
  const c = await certManagerComponent(kube, ref);
  return c
    ? { components: [c] }
    : {
        components: [],
        note: `deployment ${ref.namespace}/${ref.name} not found (input cert-manager)`,
      };
}

async function postgres(
  kube: Kube,
  namespace: string,
  o: InventoryOptions,
  ctx: ProcedureContext,
): Promise<Reading> {
  const mode = databaseMode(o, false);
  if (!mode)
    return {
      components: [],
      skipped: 'no database-url, postgres-pod or postgres-selector',
    };
  const ep = await databaseEndpoint(o, mode, kube, namespace, ctx.maskSecret);
  const v = await pgVersion(ep, o.databaseTimeout);
  return {
    components: [
      {
        kind: 'postgresql',
        name: 'PostgreSQL server',
        version: versionOfNum(v.num),
        where: ep.describe,
        detail: v.banner.split(' on ')[0] ?? v.banner,
      },
    ],
  };
}

async function prometheus(
  o: InventoryOptions,
  ctx: ProcedureContext,
): Promise<Reading> {
  if (!o.prometheusUrl) return { components: [], skipped: 'no prometheus-url' };
  const b = await buildInfo(prometheusTarget(o, ctx));
  return {
    components: [
      {
        kind: 'prometheus',
        name: 'Prometheus',
        version: b.version,
        where: o.prometheusUrl.origin,
        detail: [b.revision && `revision ${b.revision}`, b.goVersion]
          .filter(Boolean)
          .join(', '),
      },
    ],
  };
}

async function images(
  kube: Kube,
  scope: readonly string[] | '*',
): Promise<Reading> {
  return { components: imageComponents(await listPods(kube, scope)) };
}

async function python(
  kube: Kube,
  namespace: string,
  o: InventoryOptions,
): Promise<Reading> {
  if (!o.pipCommand) return { components: [], skipped: 'pip-command: none' };
  const r = await outdatedPackages(kube, {
    namespace,
    selector: o.selector,
    container: o.pipContainer,
    argv: o.pipCommand,
    timeoutMs: o.pipTimeout,
  });
  if ('absent' in r) return { components: [], skipped: r.absent };
  if ('error' in r) return { components: [], error: r.error };
  return { components: r.packages };
}
