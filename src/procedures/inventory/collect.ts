/**
 * Reading what runs: the API server's version, cert-manager's controller,
 * every container image of the namespaces with its digest, and the
 * application's outdated Python packages through exec.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { digestOfImageId, parseImage } from '../../kube/image.js';
import { resolvePod } from '../../kube/pods.js';
import { runToEnd } from '../../process/runner.js';
import type { DeploymentRef } from './inputs.js';

/** Kinds of component, each one check of the record. */
export const KINDS = [
  'kubernetes',
  'cert-manager',
  'postgresql',
  'prometheus',
  'image',
  'python-package',
] as const;
export type Kind = (typeof KINDS)[number];

/** One thing that runs, at a version. */
export interface Component {
  kind: Kind;
  /** "Kubernetes API server", "docker.io/library/postgres", "cryptography". */
  name: string;
  /** As reported; undefined when none can be told (an image tagged latest). */
  version: string | undefined;
  /** Where it was seen. */
  where: string;
  /** Image digest (from the pods' imageID). */
  digest?: string;
  /** The image reference as the pod spec gives it. */
  image?: string;
  /** pip's latest version, for an outdated package. */
  latest?: string;
  /** More of what the component says of itself (a build, a banner). */
  detail?: string;
}

/** cert-manager's controller: the label its chart sets, else the image tag. */
export async function certManagerComponent(
  kube: Kube,
  ref: DeploymentRef,
): Promise<Component | undefined> {
  const d = await kube.getOrUndefined<V1Deployment>(
    `read deployment ${ref.namespace}/${ref.name}`,
    () =>
      kube.apps.readNamespacedDeployment({
        name: ref.name,
        namespace: ref.namespace,
      }),
  );
  if (!d) return undefined;
  const label = d.metadata?.labels?.['app.kubernetes.io/version'];
  const image = d.spec?.template.spec?.containers[0]?.image ?? '';
  let tag: string | undefined;
  try {
    tag = parseImage(image).tag;
  } catch {
    tag = undefined;
  }
  return {
    kind: 'cert-manager',
    name: 'cert-manager',
    version: label ?? tag,
    where: `deployment ${ref.namespace}/${ref.name}`,
    image,
    detail: label
      ? 'label app.kubernetes.io/version'
      : tag
        ? 'image tag'
        : 'no version label, no tag',
  };
}

/** The pods of the namespaces ('*': one cluster-wide list). */
export async function listPods(
  kube: Kube,
  scope: readonly string[] | '*',
): Promise<V1Pod[]> {
  if (scope === '*')
    return kube.listAll<V1Pod>('list pods in every namespace', (c, limit) =>
      kube.core.listPodForAllNamespaces({ limit, _continue: c }),
    );
  const out: V1Pod[] = [];
  for (const namespace of scope)
    out.push(
      ...(await kube.listAll<V1Pod>(`list pods in ${namespace}`, (c, limit) =>
        kube.core.listNamespacedPod({ namespace, limit, _continue: c }),
      )),
    );
  return out;
}

/**
 * Every distinct image (by reference and digest) the pods run, init
 * containers included; the digest is the one the kubelet reports in
 * `imageID`, so a tag is tied to what was actually pulled.
 */
export function imageComponents(pods: V1Pod[]): Component[] {
  const seen = new Map<string, Component & { pods: Set<string> }>();
  for (const p of pods) {
    const pod = `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
    const specs = [
      ...(p.spec?.initContainers ?? []),
      ...(p.spec?.containers ?? []),
    ];
    const statuses = [
      ...(p.status?.initContainerStatuses ?? []),
      ...(p.status?.containerStatuses ?? []),
    ];
    for (const c of specs) {
      const st = statuses.find((s) => s.name === c.name);
      const image = c.image ?? '';
      const digest = digestOfImageId(st?.imageID);
      let ref: { repository: string; tag?: string; digest?: string };
      try {
        ref = parseImage(image);
      } catch {
        ref = { repository: image };
      }
      const key = `${image}@${digest ?? ''}`;
      const got = seen.get(key);
      if (got) {
        got.pods.add(pod);
        continue;
      }
      seen.set(key, {
        kind: 'image',
        name: ref.repository,
        version: ref.tag,
        where: pod,
        image,
        ...((digest ?? ref.digest) ? { digest: digest ?? ref.digest } : {}),
        pods: new Set([pod]),
      });
    }
  }
  return [...seen.values()]
    .map(({ pods, ...c }) => ({
      ...c,
      where:
        pods.size === 1
          ? c.where
          : `${c.where} and ${pods.size - 1} more pod(s)`,
    }))
    .sort((a, b) => (a.image ?? '').localeCompare(b.image ?? ''));
}

/** What pip said, or why it could not be asked. */
type PipOutcome =
  | { packages: Component[]; where: string }
  | { absent: string }
  | { error: string };

const NOT_FOUND =
  /executable file not found|no such file or directory|not found in \$PATH/i;

/** `pip list --outdated --format=json` in one ready application pod. */
export async function outdatedPackages(
  kube: Kube,
  o: {
    namespace: string;
    selector: string;
    container: string | undefined;
    argv: string[];
    timeoutMs: number;
  },
): Promise<PipOutcome> {
  const runner = await resolvePod(kube, o.namespace, {
    selector: o.selector,
    ...(o.container ? { container: o.container } : {}),
    what: 'pip-command',
  });
  let r;
  try {
    r = await runToEnd(runner, o.argv, {
      timeoutMs: o.timeoutMs,
      maxBytes: 4 * 1024 * 1024,
    });
  } catch (e) {
    const msg = errorMessage(e);
    if (NOT_FOUND.test(msg))
      return { absent: `${o.argv[0] ?? ''} is not in ${runner.where}` };
    return { error: msg };
  }
  if (r.timedOut)
    return {
      error: `${o.argv.join(' ')} in ${runner.where}: no answer within ${Math.round(o.timeoutMs / 1000)} s`,
    };
  if (r.exitCode === 127 || (r.exitCode !== 0 && NOT_FOUND.test(r.stderr)))
    return { absent: `${o.argv[0] ?? ''} is not in ${runner.where}` };
  if (r.exitCode !== 0)
    return {
      error: `${o.argv.join(' ')} in ${runner.where}: exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
    };
  return {
    packages: parsePipJson(r.stdout, runner.where),
    where: runner.where,
  };
}

/** pip's JSON list: [{name, version, latest_version, latest_filetype}]. */
function parsePipJson(stdout: string, where: string): Component[] {
  // pip may print notices ("[notice] A new release of pip ...") to stdout
  // before or after the list: take the JSON array itself.
  const start = stdout.indexOf('[');
  const end = stdout.lastIndexOf(']');
  let list: unknown;
  try {
    list = JSON.parse(
      start >= 0 && end > start ? stdout.slice(start, end + 1) : stdout,
    );
  } catch {
    throw new Error(
      `pip printed no JSON list in ${where}: ${stdout.slice(0, 120)}`,
    );
  }
  if (!Array.isArray(list))
    throw new Error(`pip printed no JSON list in ${where}`);
  return list
    .filter(
      (x): x is { name: string; version: string; latest_version?: string } =>
        typeof x === 'object' &&
        x !== null &&
        typeof (x as { name?: unknown }).name === 'string' &&
        typeof (x as { version?: unknown }).version === 'string',
    )
    .map((x) => ({
      kind: 'python-package' as const,
      name: x.name,
      version: x.version,
      where,
      ...(typeof x.latest_version === 'string'
        ? { latest: x.latest_version }
        : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
