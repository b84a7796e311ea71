import { RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import {
  conditionOf,
  deleteCertificateRequest,
  listCertificateRequests,
  listCertificates,
  readCertificate,
  triggerRenewal,
  type CertificateObject,
} from '../../kube/cert-manager.js';
import { holdLease } from '../../kube/connect.js';
import { KubeError } from '../../kube/errors.js';
import type { Mutation } from '../../plan/change-control.js';
import type { Plan, PlannedChange, StateRef } from '../../plan/plan.js';
import type { ProcedureContext } from '../../procedure.js';
import type { ResultBuilder } from '../../report/step-result.js';
import {
  certObject,
  certState,
  scanCertificates,
  type CertRow,
  type ScanOptions,
} from './scan.js';

const NO_UNDO =
  'nothing to undo: a renewal only issues a new certificate (the current one stays valid until it expires)';

/** A planned renewal's parameters, as the plan file carries them. */
interface RenewParams {
  kind: 'renew';
  namespace: string;
  name: string;
  revision: number;
  notAfter: string | null;
  resourceVersion: string;
}

/** A planned deletion of a failed CertificateRequest. */
interface ClearParams {
  kind: 'clear-request';
  namespace: string;
  name: string;
  uid: string | null;
  certificate: string;
}

/** How each renewal ended, for the report and the outputs. */
export interface RenewalOutcome {
  object: string;
  before: { revision: number; notAfter: string | null };
  after?: { revision: number; notAfter: string | null };
  done: boolean;
  problem?: string;
}

/** What the procedure keeps from the mutation besides the plan. */
export interface CertRotateState {
  rows: CertRow[];
  renewals: RenewalOutcome[];
}

/** Everything a cert-rotate mutation needs. */
export interface CertMutationOptions extends ScanOptions {
  waitTimeout: number;
  lockNamespace: string;
  lockName: string;
  /** Everything the plan was made from besides the namespaces (a plan for other parameters is refused). */
  parameters: Record<string, unknown>;
}

function params<T>(c: PlannedChange): T {
  return (c.params ?? {}) as T;
}

function basisOf(c: CertificateObject): StateRef {
  return {
    object: certObject(c.metadata.namespace, c.metadata.name),
    uid: c.metadata.uid,
    versionKind: 'resourceVersion',
    version: c.metadata.resourceVersion ?? '',
    state: certState(c),
  };
}

/** The changes for the due Certificates: a failed request first (when asked), then the renewal. */
function changesFor(rows: CertRow[]): {
  basis: StateRef[];
  changes: PlannedChange[];
} {
  const basis: StateRef[] = [];
  const changes: PlannedChange[] = [];
  for (const r of rows) {
    if (!r.due || r.issuing) continue;
    const object = certObject(r.namespace, r.name);
    basis.push(basisOf(r.object));
    const fr = r.failedRequest;
    if (fr) {
      const crObject = `CertificateRequest ${r.namespace}/${fr.name}`;
      basis.push({
        object: crObject,
        uid: fr.uid,
        versionKind: 'resourceVersion',
        version: fr.resourceVersion ?? '',
      });
      changes.push({
        object: crObject,
        action: 'delete the failed request',
        reason: `the renewal of ${object} would wait behind it: ${fr.message}`,
        undo: 'cannot be undone (the request failed; cert-manager creates a new one for the renewal)',
        params: {
          kind: 'clear-request',
          namespace: r.namespace,
          name: fr.name,
          uid: fr.uid ?? null,
          certificate: object,
        } satisfies ClearParams,
      });
    }
    changes.push({
      object,
      action: `renew (Issuing=True, reason ManuallyTriggered, as cmctl renew); revision ${r.revision} -> ${r.revision + 1}`,
      reason: r.due,
      undo: NO_UNDO,
      params: {
        kind: 'renew',
        namespace: r.namespace,
        name: r.name,
        revision: r.revision,
        notAfter: r.notAfter ?? null,
        resourceVersion: r.resourceVersion,
      } satisfies RenewParams,
    });
  }
  return { basis, changes };
}

/**
 * cert-rotate under change control: the plan renews every due Certificate
 * (and, when asked, first deletes the failed request it waits behind); apply
 * refuses drift, renews exactly those, and waits for each new revision.
 */
export function certMutation(
  kube: Kube,
  o: CertMutationOptions,
  ctx: ProcedureContext,
  rb: ResultBuilder,
  state: CertRotateState,
): Mutation {
  /** Live objects read by the drift check; the renewal patches carry their resourceVersion. */
  const live = new Map<string, CertificateObject>();
  return {
    procedure: 'cert-rotate',
    target: {
      server: kube.server,
      namespaces: o.scope === '*' ? ['*'] : [...o.scope],
      ...o.parameters,
    },
    async makePlan() {
      state.rows = await scanCertificates(kube, o, ctx.now(), ctx.log.info);
      for (const r of state.rows)
        live.set(certObject(r.namespace, r.name), r.object);
      return changesFor(state.rows);
    },
    async liveState(plan: Plan) {
      return readLive(kube, plan, live);
    },
    async execute(plan: Plan) {
      for (const c of plan.changes) {
        const p = params<RenewParams | ClearParams>(c);
        if (p.kind === 'clear-request') {
          const how = await deleteCertificateRequest(
            kube,
            p.namespace,
            p.name,
            p.uid ?? undefined,
          );
          rb.change(
            how === 'deleted'
              ? 'deleted the failed request'
              : 'the failed request was already gone',
            c.object,
            c.undo,
          );
          continue;
        }
        await renew(kube, c.object, p, live, ctx.now());
        rb.change(c.action, c.object, c.undo);
      }
    },
    async verify(plan: Plan) {
      const renewals = plan.changes
        .map((c) => params<RenewParams | ClearParams>(c))
        .filter((p): p is RenewParams => p.kind === 'renew');
      state.renewals = await waitForRenewals(kube, renewals, o, ctx);
    },
    async lock() {
      const lease = await holdLease(kube, ctx, {
        namespace: o.lockNamespace,
        name: o.lockName,
      });
      rb.check({
        name: 'lock',
        status: 'ok',
        observed: `holding Lease ${o.lockNamespace}/${o.lockName}`,
      });
      return lease.release;
    },
  };
}

/** The live state of every object the plan's basis names: one list per namespace. */
async function readLive(
  kube: Kube,
  plan: Plan,
  live: Map<string, CertificateObject>,
): Promise<StateRef[]> {
  const namespaces = new Set<string>();
  for (const c of plan.changes)
    namespaces.add(params<{ namespace: string }>(c).namespace);
  const out: StateRef[] = [];
  const ns = [...namespaces];
  for (const c of await listCertificates(kube, ns)) {
    const ref = basisOf(c);
    live.set(ref.object, c);
    out.push(ref);
  }
  const wantsRequests = plan.basis.some((b) =>
    b.object.startsWith('CertificateRequest '),
  );
  if (wantsRequests)
    for (const cr of await listCertificateRequests(kube, ns))
      out.push({
        object: `CertificateRequest ${cr.metadata.namespace}/${cr.metadata.name}`,
        uid: cr.metadata.uid,
        versionKind: 'resourceVersion',
        version: cr.metadata.resourceVersion ?? '',
      });
  return out;
}

/**
 * One renewal. The patch carries the resourceVersion the drift check read;
 * when the Certificate moved since only because a planned request deletion
 * made cert-manager touch its status (same uid, revision and notAfter), it is
 * re-read once; any other change is refused.
 */
async function renew(
  kube: Kube,
  object: string,
  p: RenewParams,
  live: Map<string, CertificateObject>,
  now: Date,
): Promise<void> {
  const cert = live.get(object);
  if (!cert)
    throw new RefusedError(`${object} was not read before the renewal`);
  try {
    await triggerRenewal(kube, cert, now);
  } catch (e) {
    if (!(e instanceof KubeError && e.code === 409)) throw e;
    const cur = await readCertificate(kube, p.namespace, p.name);
    if (
      !cur ||
      cur.metadata.uid !== cert.metadata.uid ||
      (cur.status?.revision ?? 0) !== p.revision ||
      (cur.status?.notAfter ?? null) !== p.notAfter
    )
      throw new RefusedError(
        `${object} changed during the apply (${certState(cert)} -> ${cur ? certState(cur) : 'deleted'}): not renewed`,
      );
    await triggerRenewal(kube, cur, now);
  }
}

/** Polls (one list per namespace) until every renewal has a new revision, Ready and a later notAfter, or the timeout. */
async function waitForRenewals(
  kube: Kube,
  renewals: RenewParams[],
  o: CertMutationOptions,
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
