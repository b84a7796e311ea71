import type { V1Deployment } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { KubeError } from './errors.js';

/** Where a rollout stands, in kubectl's words. */
export interface RolloutState {
  done: boolean;
  failed: boolean;
  message: string;
}

/**
 * kubectl's rollout-status logic (kubectl/pkg/polymorphichelpers/
 * rollout_status.go), in its order.
 */
export function rolloutState(d: V1Deployment): RolloutState {
  const name = d.metadata?.name ?? '?';
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const updated = st.updatedReplicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return {
      done: false,
      failed: false,
      message: 'Waiting for deployment spec update to be observed...',
    };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      done: false,
      failed: true,
      message: `deployment "${name}" exceeded its progress deadline`,
    };
  }
  if (updated < want) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  }
  if ((st.replicas ?? 0) > updated) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return {
    done: true,
    failed: false,
    message: `deployment "${name}" successfully rolled out`,
  };
}

/**
 * Restarts a Deployment the way `kubectl rollout restart` does: a strategic
 * merge patch of the restartedAt annotation on the pod template. Refuses a
 * paused Deployment, as kubectl does. Returns the annotation value.
 */
export async function restartDeployment(
  kube: Kube,
  namespace: string,
  name: string,
  now: Date,
): Promise<string> {
  const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
    kube.apps.readNamespacedDeployment({ name, namespace }),
  );
  if (d.spec?.paused) {
    throw new KubeError(
      `deployments.apps "${name}" can't restart paused deployment (run rollout resume first)`,
      400,
      'BadRequest',
    );
  }
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = {
    spec: {
      template: {
        metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } },
      },
    },
  };
  await kube.call(`restart deployment ${namespace}/${name}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name, namespace, body },
      kube.lib.setHeaderOptions(
        'Content-Type',
        kube.lib.PatchStrategy.StrategicMergePatch,
      ),
    ),
  );
  return at;
}

/**
 * Polls until the rollout is done, has failed, or `timeoutMs` passed.
 * Resolves with the final state; never throws for a failed rollout.
 */
export async function waitForRollout(
  kube: Kube,
  namespace: string,
  name: string,
  opts: {
    timeoutMs: number;
    intervalMs?: number;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
    onProgress?: (m: string) => void;
  },
): Promise<RolloutState & { timedOut: boolean }> {
  const deadline = opts.now().getTime() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const d = await kube.call(`read deployment ${namespace}/${name}`, () =>
      kube.apps.readNamespacedDeployment({ name, namespace }),
    );
    const s = rolloutState(d);
    if (s.message !== last) opts.onProgress?.(s.message);
    last = s.message;
    if (s.done || s.failed) return { ...s, timedOut: false };
    if (opts.now().getTime() >= deadline) {
      return {
        ...s,
        timedOut: true,
        message: `timed out after ${Math.round(opts.timeoutMs / 1000)} s: ${s.message}`,
      };
    }
    await opts.sleep(opts.intervalMs ?? 1000);
  }
}
