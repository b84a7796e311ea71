/** cert-manager stand-in: issues real self-signed certificates with openssl. */
import path from 'node:path';
import type { SimCore } from '../core.js';
import { recordEvent } from '../events.js';
import { findByPlural } from '../registry.js';
import { now } from '../store.js';
import { ISSUANCE_ANNOTATION, type Obj } from '../types.js';
import { DAY, iso, makeCert, parseDuration } from './x509.js';

const CERT = findByPlural('cert-manager.io', 'v1', 'certificates')!;
const CR = findByPlural('cert-manager.io', 'v1', 'certificaterequests')!;

const inflight = new WeakMap<SimCore, Set<string>>();
export function issuancesInFlight(core: SimCore): number {
  return inflight.get(core)?.size ?? 0;
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  gen: unknown,
): Obj {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: gen,
    lastTransitionTime: now(),
  };
}

async function issue(
  core: SimCore,
  cert: Obj,
  seededStatus: boolean,
): Promise<void> {
  const ns = cert.metadata.namespace as string;
  const name = cert.metadata.name as string;
  const spec = cert.spec as Obj;
  const fail = cert.metadata.annotations?.[ISSUANCE_ANNOTATION] === 'fail';
  const st = (cert.status ?? {}) as Obj;
  const revision = Number(st.revision ?? 0) + (seededStatus ? 0 : 1);
  const gen = cert.metadata.generation;
  const issuer = (spec.issuerRef ?? {}) as Obj;
  const previous = seededStatus
    ? undefined
    : core.store.get(CR, ns, `${name}-${revision}`);
  // As cert-manager's issuing controller: a failed request for this revision
  // fails every retry (manual ones included) until someone deletes it.
  if (previous && failedRequest(previous))
    return failIssuance(core, ns, name, gen);
  if (previous) core.store.delete(CR, ns, `${name}-${revision}`);
  if (!seededStatus)
    core.store.create(
      CR,
      {
        metadata: {
          name: `${name}-${revision}`,
          namespace: ns,
          annotations: {
            'cert-manager.io/certificate-name': name,
            'cert-manager.io/certificate-revision': String(revision),
            'cert-manager.io/private-key-secret-name': `${name}-sim`,
          },
          ownerReferences: [
            {
              apiVersion: 'cert-manager.io/v1',
              kind: 'Certificate',
              name,
              uid: cert.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          issuerRef: issuer,
          request: '',
          duration: spec.duration ?? '2160h0m0s',
          usages: ['digital signature', 'key encipherment'],
        },
        status: {
          conditions: [
            fail
              ? condition(
                  'Ready',
                  'False',
                  'Failed',
                  'The CSR was denied by the simulator',
                  undefined,
                )
              : condition(
                  'Ready',
                  'True',
                  'Issued',
                  'Certificate fetched from issuer successfully',
                  undefined,
                ),
          ],
          ...(fail ? { failureTime: now() } : {}),
        },
      },
      { trusted: true, keepStatus: true },
    );
  if (fail) return failIssuance(core, ns, name, gen);
  const durMs = parseDuration(spec.duration as string, 90 * DAY);
  const notBefore =
    seededStatus && st.notBefore
      ? new Date(st.notBefore as string)
      : new Date(Math.floor(Date.now() / 1000) * 1000);
  const notAfter =
    seededStatus && st.notAfter
      ? new Date(st.notAfter as string)
      : new Date(notBefore.getTime() + durMs);
  const renewBefore = parseDuration(
    spec.renewBefore as string,
    Math.min(30 * DAY, durMs / 3),
  );
  const dns = (spec.dnsNames ?? []) as string[];
  const cn = String(spec.commonName ?? '');
  const { crt, key } = await makeCert(
    path.join(core.tmpDir, 'certs', ns, `${name}-${Date.now()}`),
    cn,
    dns,
    notBefore,
    notAfter,
    String(spec.privateKey?.algorithm ?? 'RSA'),
  );
  const secrets = core.core('secrets');
  const secretName = String(spec.secretName);
  const data = {
    'tls.crt': Buffer.from(crt).toString('base64'),
    'tls.key': Buffer.from(key).toString('base64'),
    'ca.crt': Buffer.from(crt).toString('base64'),
  };
  const annotations = {
    'cert-manager.io/alt-names': dns.join(','),
    'cert-manager.io/certificate-name': name,
    'cert-manager.io/common-name': cn,
    'cert-manager.io/ip-sans': '',
    'cert-manager.io/issuer-group': String(issuer.group ?? 'cert-manager.io'),
    'cert-manager.io/issuer-kind': String(issuer.kind ?? 'Issuer'),
    'cert-manager.io/issuer-name': String(issuer.name ?? ''),
    'cert-manager.io/uri-sans': '',
  };
  const existing = core.store.get(secrets, ns, secretName);
  if (existing) {
    existing.data = { ...existing.data, ...data };
    existing.type = 'kubernetes.io/tls';
    existing.metadata.annotations = {
      ...existing.metadata.annotations,
      ...annotations,
    };
    existing.metadata.labels = {
      ...existing.metadata.labels,
      'controller.cert-manager.io/fao': 'true',
    };
    core.store.update(secrets, existing, { trusted: true });
  } else
    core.store.create(
      secrets,
      {
        metadata: {
          name: secretName,
          namespace: ns,
          annotations,
          labels: {
            'controller.cert-manager.io/fao': 'true',
            ...(spec.secretTemplate?.labels ?? {}),
          },
        },
        type: 'kubernetes.io/tls',
        data,
      },
      { trusted: true },
    );
  if (seededStatus) return;
  const cur = core.store.get(CERT, ns, name);
  if (!cur) return;
  cur.status = {
    ...cur.status,
    conditions: [
      ...((cur.status?.conditions ?? []) as Obj[]).filter(
        (c) => c.type !== 'Issuing' && c.type !== 'Ready',
      ),
      condition(
        'Ready',
        'True',
        'Ready',
        'Certificate is up to date and has not expired',
        gen,
      ),
    ],
    notBefore: iso(notBefore),
    notAfter: iso(notAfter),
    renewalTime: iso(new Date(notAfter.getTime() - renewBefore)),
    revision,
  };
  delete cur.status.lastFailureTime;
  core.store.update(CERT, cur, { subresource: 'status', trusted: true });
  recordEvent(
    core,
    cur,
    'Normal',
    'Issuing',
    'The certificate has been successfully issued',
    'cert-manager-certificates-issuing',
  );
}

function failedRequest(cr: Obj): boolean {
  return ((cr.status?.conditions ?? []) as Obj[]).some(
    (c) => c.type === 'Ready' && c.status === 'False' && c.reason === 'Failed',
  );
}

function failIssuance(
  core: SimCore,
  ns: string,
  name: string,
  gen: unknown,
): void {
  const latest = core.store.get(CERT, ns, name);
  if (!latest) return;
  const conds = ((latest.status?.conditions ?? []) as Obj[]).filter(
    (c) => c.type !== 'Issuing' && c.type !== 'Ready',
  );
  latest.status = {
    ...latest.status,
    conditions: [
      ...conds,
      condition(
        'Ready',
        'False',
        'Failed',
        'The certificate request has failed to complete and will be retried: The CSR was denied by the simulator',
        gen,
      ),
      condition(
        'Issuing',
        'False',
        'Failed',
        'The certificate request has failed to complete and will be retried: The CSR was denied by the simulator',
        gen,
      ),
    ],
    failedIssuanceAttempts:
      Number(latest.status?.failedIssuanceAttempts ?? 0) + 1,
    lastFailureTime: now(),
  };
  core.store.update(CERT, latest, { subresource: 'status', trusted: true });
  recordEvent(
    core,
    latest,
    'Warning',
    'Failed',
    'The certificate request has failed to complete and will be retried',
    'cert-manager-certificates-issuing',
  );
}

/** Which certificates need work: Issuing=True, brand new, or seeded without a Secret. */
export function certTick(core: SimCore): void {
  let set = inflight.get(core);
  if (!set) inflight.set(core, (set = new Set()));
  // scan: the live objects, read only; the issuance gets its own copy.
  for (const cert of core.store.scan(CERT)) {
    const key = String(cert.metadata.uid);
    if (set.has(key)) continue;
    const conds = (cert.status?.conditions ?? []) as Obj[];
    const issuing = conds.some(
      (c) => c.type === 'Issuing' && c.status === 'True',
    );
    const fresh =
      !cert.status?.revision &&
      !cert.status?.notAfter &&
      !cert.status?.lastFailureTime;
    const seededNoSecret =
      !issuing &&
      !fresh &&
      !!cert.status?.notAfter &&
      !core.store.has(
        core.core('secrets'),
        cert.metadata.namespace as string,
        String(cert.spec?.secretName),
      );
    if (!issuing && !fresh && !seededNoSecret) continue;
    set.add(key);
    issue(core, structuredClone(cert), seededNoSecret)
      .catch((e: unknown) => {
        if (!core.closed) console.error('kube-sim: issuance failed', e);
      })
      .finally(() => set.delete(key));
  }
}
