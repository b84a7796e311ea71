import { errorMessage } from '../errors.js';
import { Kube } from './client.js';
import { acquireLease, DEFAULT_LEASE_SECONDS } from './lease.js';

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
 *
 * The Lease is short (`leaseSeconds`, default 60 s) and renewed every third
 * of it while held, so how long the run takes does not matter, and a run that
 * died blocks the next one for at most `leaseSeconds`.
 */
export async function holdLease(
  kube: Kube,
  ctx: ConnectContext,
  l: {
    namespace: string;
    name: string;
    /** leaseDurationSeconds; default 60. At most MAX_LEASE_SECONDS. */
    leaseSeconds?: number;
  },
): Promise<ProcedureLease> {
  const lease = await acquireLease(kube, {
    namespace: l.namespace,
    name: l.name,
    durationSeconds: l.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
    now: ctx.now,
    sleep: ctx.sleep,
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
