import { errorMessage } from '../errors.js';
import { Kube } from '../kube/client.js';
import { acquireLease } from '../kube/lease.js';
import type { ProcedureContext } from './types.js';

/** Connects to the cluster named by the common kube inputs. */
export function connect(
  o: { kubeconfig: string | undefined; context: string | undefined },
  ctx: ProcedureContext,
): Promise<Kube> {
  return Kube.connect({
    kubeconfig: o.kubeconfig,
    context: o.context,
    env: ctx.env,
    maskSecret: ctx.maskSecret,
    sleep: ctx.sleep,
    onRetry: (m) => ctx.log.warning(m),
  });
}

/** A Lease a procedure holds; `release` never throws, it warns. */
export interface ProcedureLease {
  release(this: void): Promise<void>;
}

/**
 * Takes (and keeps renewing) the Lease that keeps two runs against one
 * target apart; renewal problems and a failed release become warnings.
 */
export async function holdLease(
  kube: Kube,
  ctx: ProcedureContext,
  l: { namespace: string; name: string; durationMs: number },
): Promise<ProcedureLease> {
  const lease = await acquireLease(kube, {
    namespace: l.namespace,
    name: l.name,
    durationSeconds: Math.ceil(l.durationMs / 1000),
    now: ctx.now,
    onRenewProblem: ctx.log.warning,
  });
  return {
    release: () =>
      lease
        .release()
        .catch((e: unknown) =>
          ctx.log.warning(
            `releasing Lease ${l.namespace}/${l.name}: ${errorMessage(e)}`,
          ),
        ),
  };
}
