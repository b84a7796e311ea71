/**
 * The workload checks most scanners share (Polaris, kubescape): each rule
 * looks at one pod spec (and its containers) and says, with the controls it
 * maps to and the fix, whether it passes.
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { Evaluation, Severity } from './controls.js';

/** A rule over one container of a pod spec (or the pod spec itself, with `pod: true`). */
interface Rule {
  id: string;
  severity: Severity;
  controls: string[];
  /** Checks the pod spec once, not each container. */
  pod?: boolean;
  /** Undefined when it passes; otherwise what is wrong. */
  test: (spec: V1PodSpec, c: V1Container) => string | undefined;
  fix: string;
}

/** Capabilities that give a container host-level power. */
const DANGEROUS_CAPS = [
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'NET_RAW',
  'SYS_PTRACE',
  'SYS_MODULE',
  'DAC_READ_SEARCH',
  'BPF',
];

function effectiveNonRoot(spec: V1PodSpec, c: V1Container): boolean {
  const user = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  if (user === 0) return false;
  const nonRoot =
    c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
  return nonRoot === true || (user !== undefined && user > 0);
}

/** `repo:tag@sha256:...` -> is it pinned (digest, or a tag other than latest)? */
export function imagePin(image: string): 'digest' | 'tag' | 'none' {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag && tag !== 'latest' ? 'tag' : 'none';
}

function missingResources(c: V1Container): string[] {
  const out: string[] = [];
  for (const kind of ['requests', 'limits'] as const)
    for (const r of ['cpu', 'memory'])
      if (c.resources?.[kind]?.[r] === undefined) out.push(`${r} ${kind}`);
  return out;
}

export const RULES: Rule[] = [
  {
    id: 'privileged',
    severity: 'critical',
    controls: ['AC-6', 'CM-7'],
    test: (_s, c) =>
      c.securityContext?.privileged ? 'runs privileged' : undefined,
    fix: 'remove securityContext.privileged (or set it to false)',
  },
  {
    id: 'host-network',
    severity: 'high',
    controls: ['AC-6', 'SC-7'],
    pod: true,
    test: (s) => (s.hostNetwork ? "shares the node's network" : undefined),
    fix: 'remove spec.hostNetwork',
  },
  {
    id: 'host-pid',
    severity: 'high',
    controls: ['AC-6', 'SC-39'],
    pod: true,
    test: (s) =>
      s.hostPID ? "shares the node's process namespace" : undefined,
    fix: 'remove spec.hostPID',
  },
  {
    id: 'host-ipc',
    severity: 'high',
    controls: ['AC-6', 'SC-39'],
    pod: true,
    test: (s) => (s.hostIPC ? "shares the node's IPC namespace" : undefined),
    fix: 'remove spec.hostIPC',
  },
  {
    id: 'run-as-non-root',
    severity: 'medium',
    controls: ['AC-6', 'CM-6'],
    test: (s, c) => (effectiveNonRoot(s, c) ? undefined : 'may run as root'),
    fix: 'set securityContext.runAsNonRoot: true (and a non-zero runAsUser)',
  },
  {
    id: 'allow-privilege-escalation',
    severity: 'medium',
    controls: ['AC-6', 'CM-6'],
    test: (_s, c) =>
      c.securityContext?.allowPrivilegeEscalation === false &&
      !c.securityContext.privileged
        ? undefined
        : 'allows privilege escalation',
    fix: 'set securityContext.allowPrivilegeEscalation: false',
  },
  {
    id: 'read-only-root-filesystem',
    severity: 'low',
    controls: ['CM-7', 'SI-7'],
    test: (_s, c) =>
      c.securityContext?.readOnlyRootFilesystem
        ? undefined
        : 'has a writable root filesystem',
    fix: 'set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it writes)',
  },
  {
    id: 'drop-capabilities',
    severity: 'medium',
    controls: ['AC-6', 'CM-7'],
    test: (_s, c) =>
      c.securityContext?.capabilities?.drop?.includes('ALL')
        ? undefined
        : 'does not drop all capabilities',
    fix: 'set securityContext.capabilities.drop: [ALL] and add back only what it needs',
  },
  {
    id: 'added-capabilities',
    severity: 'high',
    controls: ['AC-6', 'CM-7'],
    test: (_s, c) => {
      const bad = (c.securityContext?.capabilities?.add ?? []).filter((a) =>
        DANGEROUS_CAPS.includes(a.replace(/^CAP_/, '')),
      );
      return bad.length ? `adds ${bad.join(', ')}` : undefined;
    },
    fix: 'remove the capability from securityContext.capabilities.add',
  },
  {
    id: 'resources',
    severity: 'medium',
    controls: ['CM-6', 'SC-6'],
    test: (_s, c) => {
      const m = missingResources(c);
      return m.length ? `has no ${m.join(', ')}` : undefined;
    },
    fix: 'set resources.requests and resources.limits for cpu and memory',
  },
  {
    id: 'image-pinned',
    severity: 'medium',
    controls: ['CM-2', 'SI-7'],
    test: (_s, c) =>
      imagePin(c.image ?? '') === 'none'
        ? `image ${c.image ?? '(none)'} is not pinned (no tag, or latest)`
        : undefined,
    fix: 'use an image by digest (@sha256:...) or a fixed version tag',
  },
  {
    id: 'probes',
    severity: 'low',
    controls: ['SI-4'],
    test: (_s, c) => {
      const m = [
        c.readinessProbe ? '' : 'readiness',
        c.livenessProbe ? '' : 'liveness',
      ].filter(Boolean);
      return m.length ? `has no ${m.join(' or ')} probe` : undefined;
    },
    fix: 'add readinessProbe and livenessProbe',
  },
  {
    id: 'service-account-token',
    severity: 'medium',
    controls: ['AC-6', 'CM-7'],
    pod: true,
    // The pod's setting wins; without one, its ServiceAccount's (see evaluatePodSpec).
    test: (s) =>
      s.automountServiceAccountToken === false
        ? undefined
        : 'mounts a service-account token',
    fix: 'set spec.automountServiceAccountToken: false unless it calls the Kubernetes API',
  },
];

/**
 * Every rule against one pod spec; `object` names the workload.
 * `saAutomount` is the automountServiceAccountToken of the pod's
 * ServiceAccount, which applies when the pod does not say.
 */
export function evaluatePodSpec(
  object: string,
  podSpec: V1PodSpec,
  saAutomount?: boolean,
): Evaluation[] {
  const spec =
    podSpec.automountServiceAccountToken === undefined &&
    saAutomount !== undefined
      ? { ...podSpec, automountServiceAccountToken: saAutomount }
      : podSpec;
  const out: Evaluation[] = [];
  for (const r of RULES) {
    const targets = r.pod ? [spec.containers[0]] : spec.containers;
    for (const c of targets) {
      if (!c) continue;
      const problem = r.test(spec, c);
      out.push({
        rule: r.id,
        severity: r.severity,
        object: r.pod ? object : `${object} container ${c.name}`,
        controls: r.controls,
        passed: problem === undefined,
        ...(problem ? { message: problem, fix: r.fix } : {}),
      });
    }
  }
  return out;
}
