import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { rolloutState } from '../kube/rollout.js';
import { table } from '../report/markdown.js';
import type { Check } from '../report/step-result.js';

/** What is wrong with one pod, if anything. */
export interface PodIssue {
  pod: string;
  container?: string;
  problem: string;
  severity: 'failed' | 'warning';
}

const FATAL_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

/** Whether the pod's Ready condition is True. */
export function isReady(p: V1Pod): boolean {
  return (
    p.status?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ) ?? false
  );
}

/** Pod problems by name: not Ready, crash loops, image pulls, OOM kills, restarts. */
export function podIssues(pods: V1Pod[], restartWarn: number): PodIssue[] {
  const out: PodIssue[] = [];
  for (const p of pods) {
    const pod = p.metadata?.name ?? '?';
    if (p.metadata?.deletionTimestamp) continue;
    let containerProblem = false;
    for (const c of [
      ...(p.status?.initContainerStatuses ?? []),
      ...(p.status?.containerStatuses ?? []),
    ]) {
      const waiting = c.state?.waiting?.reason;
      if (waiting && FATAL_WAITING.has(waiting)) {
        out.push({
          pod,
          container: c.name,
          problem: `${waiting} (${c.restartCount} restarts)${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ''}`,
          severity: 'failed',
        });
        containerProblem = true;
      }
      const term = c.lastState?.terminated ?? c.state?.terminated;
      if (term?.reason === 'OOMKilled') {
        out.push({
          pod,
          container: c.name,
          problem: `OOMKilled (exit ${term.exitCode}); raise the memory limit or find the leak`,
          severity: 'warning',
        });
        containerProblem = true;
      } else if (
        c.restartCount >= restartWarn &&
        !(waiting && FATAL_WAITING.has(waiting))
      ) {
        out.push({
          pod,
          container: c.name,
          problem: `${c.restartCount} restarts`,
          severity: 'warning',
        });
        containerProblem = true;
      }
    }
    if (!isReady(p) && !containerProblem) {
      const phase = p.status?.phase ?? 'Unknown';
      out.push({
        pod,
        problem: `not Ready (phase ${phase})`,
        severity: phase === 'Failed' ? 'failed' : 'warning',
      });
    }
  }
  return out;
}

/**
 * The pods check: unhealthy with no Ready pod or any crash-looping/unpullable
 * container, degraded with some pods not Ready, OOM kills or many restarts.
 */
export function podsCheck(
  pods: V1Pod[],
  restartWarn: number,
): { check: Check; issues: PodIssue[]; table: string } {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = live.filter(isReady).length;
  const issues = podIssues(live, restartWarn);
  const failed =
    live.length === 0 ||
    ready === 0 ||
    issues.some((i) => i.severity === 'failed');
  const status = failed ? 'failed' : issues.length > 0 ? 'warning' : 'ok';
  const rows = live.map((p) => {
    const cs = p.status?.containerStatuses ?? [];
    return [
      p.metadata?.name ?? '?',
      p.status?.phase ?? '?',
      isReady(p) ? 'yes' : 'no',
      cs.reduce((n, c) => n + c.restartCount, 0),
      cs
        .map(
          (c) =>
            c.state?.waiting?.reason ??
            (c.state?.running
              ? 'Running'
              : (c.state?.terminated?.reason ?? '?')),
        )
        .join(', '),
      p.spec?.nodeName ?? '',
    ];
  });
  return {
    issues,
    check: {
      name: 'pods',
      status,
      observed: `${ready}/${live.length} Ready${issues.length ? `; ${issues.length} problem(s)` : ''}`,
      threshold: 'all Ready, no CrashLoopBackOff/ImagePullBackOff/OOMKilled',
      detail:
        live.length === 0
          ? 'no pods match the selector'
          : issues
              .map(
                (i) =>
                  `${i.pod}${i.container ? `/${i.container}` : ''}: ${i.problem}`,
              )
              .join('; ') || undefined,
    },
    table: live.length
      ? '#### Pods\n\n' +
        table(['Pod', 'Phase', 'Ready', 'Restarts', 'State', 'Node'], rows)
      : '',
  };
}

/** The Deployment check: replicas available and the rollout state, kubectl's way. */
export function deploymentCheck(
  d: V1Deployment | undefined,
  name: string,
): Check {
  if (!d)
    return {
      name: 'deployment',
      status: 'failed',
      observed: `deployment ${name} not found`,
      threshold: 'exists',
    };
  const want = d.spec?.replicas ?? 1;
  const avail = d.status?.availableReplicas ?? 0;
  const st = rolloutState(d);
  const status =
    (want > 0 && avail === 0) || st.failed
      ? 'failed'
      : avail < want || !st.done
        ? 'warning'
        : 'ok';
  return {
    name: 'deployment',
    status,
    observed: `${avail}/${want} available`,
    threshold: `${want}/${want} available, rollout complete`,
    detail: status === 'ok' ? undefined : st.message,
  };
}
