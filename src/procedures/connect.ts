import { Kube } from '../kube/client.js';
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
