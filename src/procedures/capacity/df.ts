/**
 * Filesystem usage through exec when Prometheus has no kubelet volume
 * metrics: the runbook's `kubectl exec ... -- df -h`, as POSIX `df -P -k` on
 * the mount paths of a pod's data volumes (PersistentVolumeClaims and
 * emptyDirs). One reading, so a level and no trend.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import { resolvePod } from '../../kube/pods.js';
import { runToEnd } from '../../process/runner.js';

/** One filesystem as df reports it. */
export interface DfRow {
  pod: string;
  path: string;
  filesystem: string;
  sizeKiB: number;
  usedKiB: number;
  availKiB: number;
  /** used / (used + available), as df computes Capacity. */
  percent: number;
  mountedOn: string;
}

/** Parses `df -P -k` output (a header line, then one line per filesystem). */
export function parseDf(text: string, pod: string, paths: string[]): DfRow[] {
  const rows: DfRow[] = [];
  const lines = text.trim().split('\n').slice(1);
  lines.forEach((l, i) => {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(\/.*)$/.exec(
      l.trim(),
    );
    if (!m) return;
    const used = Number(m[3]);
    const avail = Number(m[4]);
    rows.push({
      pod,
      path: paths[i] ?? m[6] ?? '',
      filesystem: m[1] ?? '',
      sizeKiB: Number(m[2]),
      usedKiB: used,
      availKiB: avail,
      percent: used + avail > 0 ? (used / (used + avail)) * 100 : 0,
      mountedOn: m[6] ?? '',
    });
  });
  return rows;
}

/** Mount paths of the first container's PVC and emptyDir volumes. */
export function dataMounts(pod: V1Pod, container?: string): string[] {
  const data = new Set(
    (pod.spec?.volumes ?? [])
      .filter((v) => v.persistentVolumeClaim || v.emptyDir)
      .map((v) => v.name),
  );
  const c = pod.spec?.containers.find(
    (x) => !container || x.name === container,
  );
  return (c?.volumeMounts ?? [])
    .filter((m) => data.has(m.name))
    .map((m) => m.mountPath);
}

/** df in the first ready pod of each selector; a pod that cannot be read is a problem line, not a throw. */
export async function dfThroughExec(
  kube: Kube,
  namespace: string,
  selectors: string[],
  timeoutMs: number,
): Promise<{ rows: DfRow[]; problems: string[] }> {
  const rows: DfRow[] = [];
  const problems: string[] = [];
  for (const selector of selectors) {
    try {
      const runner = await resolvePod(kube, namespace, {
        selector,
        what: `df in ${selector}`,
      });
      const pod = await kube.call(`read pod ${namespace}/${runner.pod}`, () =>
        kube.core.readNamespacedPod({ name: runner.pod, namespace }),
      );
      const paths = dataMounts(pod, runner.container);
      if (paths.length === 0) {
        problems.push(
          `${runner.where}: no PersistentVolumeClaim or emptyDir mounted`,
        );
        continue;
      }
      const r = await runToEnd(runner, ['df', '-P', '-k', ...paths], {
        timeoutMs,
        maxBytes: 64 * 1024,
      });
      const parsed = parseDf(r.stdout, runner.pod, paths);
      if (r.exitCode !== 0 && parsed.length === 0)
        problems.push(
          `${runner.where}: df exited ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        );
      rows.push(...parsed);
    } catch (e) {
      problems.push(`${selector}: ${errorMessage(e)}`);
    }
  }
  return { rows, problems };
}
