import { errorMessage } from '../../errors.js';
import type { Kube } from '../../kube/client.js';
import {
  conditionOf,
  listCertificateRequests,
  listCertificates,
  newestFailedRequest,
  type CertificateObject,
  type NamespaceScope,
} from '../../kube/cert-manager.js';
import { readSecretCerts } from '../../kube/tls-secrets.js';
import { inspectCertificate, type QuantumStatus } from '../../certs/inspect.js';

/** What the report needs of a certificate: expiry and algorithms. */
export interface LeafFacts {
  subject: string;
  notAfter: Date;
  key: string;
  signature: string;
  quantum: QuantumStatus;
  quantumReason: string;
}

/**
 * The facts of one certificate (DER or PEM, leaf first); throws one line
 * when it does not parse. Without `subject`, OpenSSL is not asked at all
 * (the scan of thousands of Secrets shows no subject).
 */
export function leafFacts(input: Buffer | string, subject = true): LeafFacts {
  const c = inspectCertificate(input);
  return {
    subject: subject ? c.subject : '',
    notAfter: c.notAfter,
    key: c.publicKey.label,
    signature: c.signature.label,
    quantum: c.quantum,
    quantumReason: c.quantumReason,
  };
}

const DAY = 86_400_000;

/** The failed CertificateRequest a renewal would wait behind. */
export interface FailedRequest {
  name: string;
  uid?: string;
  resourceVersion?: string;
  message: string;
}

/** One cert-manager Certificate as the scan saw it. */
export interface CertRow {
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion: string;
  revision: number;
  ready: string;
  readySince?: string;
  readyMessage?: string;
  issuing: boolean;
  notAfter?: string;
  renewalTime?: string;
  daysLeft?: number;
  issuer: string;
  secretName: string;
  failedIssuanceAttempts: number;
  leaf?: LeafFacts;
  /** Problems found on this certificate (missing Secret, unparsable tls.crt). */
  findings: string[];
  /** Why it is due ('' when it is not). */
  due: string;
  /** Set when clear-failed-requests is on and its newest request failed. */
  failedRequest?: FailedRequest;
  object: CertificateObject;
}

/** What the scan needs to know from the inputs. */
export interface ScanOptions {
  scope: NamespaceScope;
  selector: string | undefined;
  within: number;
  includeNotReady: boolean;
  clearFailedRequests: boolean;
}

/** `Certificate ns/name`: how plans and drift name a Certificate. */
export function certObject(namespace: string, name: string): string {
  return `Certificate ${namespace}/${name}`;
}

/** The drift baseline's readable state of a Certificate. */
export function certState(c: CertificateObject): string {
  return `revision ${c.status?.revision ?? 0}, notAfter ${c.status?.notAfter ?? 'none'}`;
}

/**
 * Lists the Certificates in scope and their Secrets (one paginated list of
 * each kind, never a GET per certificate), reads every leaf, and decides
 * which are due.
 */
export async function scanCertificates(
  kube: Kube,
  o: ScanOptions,
  now: Date,
  note: (msg: string) => void,
): Promise<CertRow[]> {
  const listing = listCertificates(kube, o.scope, o.selector);
  const wanted = listing.then(
    (certs) =>
      new Set(
        certs
          .filter((c) => c.spec?.secretName)
          .map((c) => `${c.metadata.namespace}/${c.spec?.secretName}`),
      ),
  );
  const [certs, secrets] = await Promise.all([
    listing,
    readSecretCerts(kube, o.scope, wanted, note),
  ]);
  const rows = certs.map((c) => rowOf(c, secrets.get(secretKey(c)), o, now));
  if (o.clearFailedRequests) await findFailedRequests(kube, rows);
  return rows.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
}

function secretKey(c: CertificateObject): string {
  return `${c.metadata.namespace}/${c.spec?.secretName ?? ''}`;
}

function rowOf(
  c: CertificateObject,
  secret: { crt?: string; problem?: string } | undefined,
  o: ScanOptions,
  now: Date,
): CertRow {
  const st = c.status ?? {};
  const ready = conditionOf(st.conditions, 'Ready');
  const issuing = conditionOf(st.conditions, 'Issuing')?.status === 'True';
  const ref = c.spec?.issuerRef ?? {};
  const notAfterMs = st.notAfter ? Date.parse(st.notAfter) : NaN;
  const row: CertRow = {
    namespace: c.metadata.namespace,
    name: c.metadata.name,
    uid: c.metadata.uid,
    resourceVersion: c.metadata.resourceVersion ?? '',
    revision: st.revision ?? 0,
    ready: ready?.status ?? 'Unknown',
    readySince: ready?.lastTransitionTime,
    readyMessage: ready?.message,
    issuing,
    notAfter: st.notAfter,
    renewalTime: st.renewalTime,
    daysLeft: Number.isFinite(notAfterMs)
      ? Math.floor((notAfterMs - now.getTime()) / DAY)
      : undefined,
    issuer: `${ref.kind ?? 'Issuer'}/${ref.name ?? '?'}`,
    secretName: c.spec?.secretName ?? '',
    failedIssuanceAttempts: st.failedIssuanceAttempts ?? 0,
    findings: [],
    due: '',
    object: c,
  };
  readLeaf(row, secret);
  row.due = dueReason(row, notAfterMs, o, now);
  return row;
}

function readLeaf(
  row: CertRow,
  secret: { crt?: string; problem?: string } | undefined,
): void {
  const key = `Secret ${row.namespace}/${row.secretName}`;
  if (!row.secretName) return void row.findings.push('no spec.secretName');
  if (secret?.problem)
    return void row.findings.push(`${key}: ${secret.problem}`);
  if (!secret?.crt) {
    row.findings.push(`${key} is missing or has no tls.crt`);
    return;
  }
  try {
    row.leaf = leafFacts(Buffer.from(secret.crt, 'base64'), false);
  } catch (e) {
    row.findings.push(`${key}: tls.crt does not parse (${errorMessage(e)})`);
    return;
  }
  if (
    row.notAfter &&
    Math.abs(row.leaf.notAfter.getTime() - Date.parse(row.notAfter)) >= 1000
  )
    row.findings.push(
      `${key} holds a certificate valid until ${row.leaf.notAfter.toISOString()}, but the Certificate's status says ${row.notAfter}`,
    );
}

function dueReason(
  row: CertRow,
  notAfterMs: number,
  o: ScanOptions,
  now: Date,
): string {
  const reasons: string[] = [];
  if (Number.isFinite(notAfterMs) && notAfterMs - now.getTime() < o.within) {
    const d = row.daysLeft ?? 0;
    reasons.push(
      notAfterMs <= now.getTime()
        ? `expired ${Math.max(0, -d - 1)} day(s) ago`
        : `expires in ${d} day(s)`,
    );
  }
  if (o.includeNotReady && row.ready !== 'True') {
    if (row.failedIssuanceAttempts > 0 || row.object.status?.lastFailureTime)
      reasons.push(
        `failed issuance (${row.failedIssuanceAttempts} attempt(s)${row.object.status?.lastFailureTime ? `, last at ${row.object.status.lastFailureTime}` : ''})`,
      );
    else
      reasons.push(
        `not Ready since ${row.readySince ?? 'it was created'}${row.readyMessage ? ` (${row.readyMessage})` : ''}`,
      );
  }
  return reasons.join('; ');
}

/** The newest failed request of each due Certificate (one list per namespace). */
async function findFailedRequests(kube: Kube, rows: CertRow[]): Promise<void> {
  const candidates = rows.filter((r) => r.due && !r.issuing);
  const namespaces = [...new Set(candidates.map((r) => r.namespace))];
  if (namespaces.length === 0) return;
  const requests = await listCertificateRequests(kube, namespaces);
  for (const r of candidates) {
    const cr = newestFailedRequest(r.object, requests);
    if (!cr) continue;
    r.failedRequest = {
      name: cr.metadata.name,
      uid: cr.metadata.uid,
      resourceVersion: cr.metadata.resourceVersion,
      message:
        conditionOf(cr.status?.conditions, 'Ready')?.message ??
        'the request failed',
    };
  }
}
