import { errorMessage } from '../errors.js';
import { Kube } from './client.js';
import { acquireLease } from './lease.js';

/** What connecting needs from the run: its environment, masking, sleep and log. */
export interface ConnectContext {
  env: NodeJS.ProcessEnv;
  maskSecret: (value: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  log: { warning: (msg: string) => void };
}

/** Connects to the cluster named by the common kube inputs. */
export function connect(
  o: { kubeconfig: string | undefined; context: string | undefined },
  ctx: ConnectContext,
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
  ctx: ConnectContext,
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
