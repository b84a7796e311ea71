import { RefusedError } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import {
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
import {
  waitForRenewals,
  type RenewalOutcome,
  type RenewParams,
} from './wait.js';

const NO_UNDO =
  'nothing to undo: a renewal only issues a new certificate (the current one stays valid until it expires)';

/** A planned deletion of a failed CertificateRequest. */
interface ClearParams {
  kind: 'clear-request';
  namespace: string;
  name: string;
  uid: string | null;
  certificate: string;
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
