import type { Kube } from '../../kube/client.js';
import {
  conditionOf,
  listCertificates,
  type CertificateObject,
} from '../../kube/cert-manager.js';
import type { ProcedureContext } from '../../procedure.js';
import { certObject } from './scan.js';

/** A planned renewal's parameters, as the plan file carries them. */
export interface RenewParams {
  kind: 'renew';
  namespace: string;
  name: string;
  revision: number;
  notAfter: string | null;
  resourceVersion: string;
}

/** How each renewal ended, for the report and the outputs. */
export interface RenewalOutcome {
  object: string;
  before: { revision: number; notAfter: string | null };
  after?: { revision: number; notAfter: string | null };
  done: boolean;
  problem?: string;
}

/** Polls (one list per namespace) until every renewal has a new revision, Ready and a later notAfter, or the timeout. */
export async function waitForRenewals(
  kube: Kube,
  renewals: RenewParams[],
  o: { waitTimeout: number },
  ctx: ProcedureContext,
): Promise<RenewalOutcome[]> {
  const outcomes = new Map<string, RenewalOutcome>(
    renewals.map((p) => [
      certObject(p.namespace, p.name),
      {
        object: certObject(p.namespace, p.name),
        before: { revision: p.revision, notAfter: p.notAfter },
        done: false,
      },
    ]),
  );
  const namespaces = [...new Set(renewals.map((p) => p.namespace))];
  const deadline = ctx.now().getTime() + o.waitTimeout;
  const reported = new Set<string>();
  for (;;) {
    for (const c of await listCertificates(kube, namespaces)) {
      const key = certObject(c.metadata.namespace, c.metadata.name);
      const out = outcomes.get(key);
      if (!out || out.done) continue;
      observe(out, c, reported, ctx);
    }
    const pending = [...outcomes.values()].filter((x) => !x.done);
    if (pending.length === 0) break;
    if (ctx.now().getTime() >= deadline) {
      for (const x of pending)
        x.problem = `no new revision within ${o.waitTimeout / 1000} s${x.problem ? ` (${x.problem})` : ''}`;
      break;
    }
    ctx.progress('renewals', {
      done: outcomes.size - pending.length,
      total: outcomes.size,
      unit: 'items',
      note: `waiting for ${pending.length}: ${pending
        .slice(0, 3)
        .map((x) => x.object)
        .join(', ')}${pending.length > 3 ? ', ...' : ''}`,
    });
    await ctx.sleep(
      Math.min(1000, Math.max(0, deadline - ctx.now().getTime())),
    );
  }
  const missing = [...outcomes.values()].filter((x) => !x.after && !x.done);
  for (const x of missing) x.problem ??= 'the Certificate is gone';
  return [...outcomes.values()];
}

function observe(
  out: RenewalOutcome,
  c: CertificateObject,
  reported: Set<string>,
  ctx: ProcedureContext,
): void {
  const st = c.status ?? {};
  out.after = { revision: st.revision ?? 0, notAfter: st.notAfter ?? null };
  const ready = conditionOf(st.conditions, 'Ready')?.status === 'True';
  const later =
    !!st.notAfter &&
    (out.before.notAfter === null ||
      Date.parse(st.notAfter) > Date.parse(out.before.notAfter));
  if (out.after.revision > out.before.revision && ready && later) {
    out.done = true;
    out.problem = undefined;
    return;
  }
  const issuing = conditionOf(st.conditions, 'Issuing');
  if (issuing?.status === 'False' && issuing.reason === 'Failed') {
    out.problem = `issuance failed: ${issuing.message ?? 'no message'}`;
    if (!reported.has(out.object)) {
      reported.add(out.object);
      ctx.log.warning(`${out.object}: ${out.problem}`);
    }
  }
}
