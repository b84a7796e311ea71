import { daysLeft } from '../../certs/expiry.js';
import { splitPem } from '../../certs/pem.js';
import {
  formatEndpoint,
  readServedChain,
  type Endpoint,
} from '../../certs/tls.js';
import { errorMessage } from '../../errors.js';
import { readFileCappedSync } from '../../process/read-file.js';
import { table } from '../../report/markdown.js';
import type { Check } from '../../report/step-result.js';
import { quantumCell } from './report.js';
import { leafFacts, type LeafFacts } from './scan.js';

/** A CA bundle larger than this is not one (the system store is about 200 KiB). */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/** Bundle entries shown per file; the rest are counted. */
const MAX_BUNDLE_ROWS = 50;

/** One certificate read outside the cluster (served or in a bundle). */
export interface ExternalCert extends LeafFacts {
  source: string;
  position: number;
  daysLeft: number;
}

/** What the endpoint and bundle checks found. */
export interface ExternalFindings {
  checks: Check[];
  details: string[];
  certs: ExternalCert[];
  /** Entries (endpoints, bundle certificates) flagged quantum-vulnerable. */
  quantumVulnerable: number;
}

function expiryStatus(
  certs: { daysLeft: number; notAfter: Date }[],
  now: Date,
  within: number,
): 'ok' | 'failed' {
  return certs.some((c) => c.notAfter.getTime() - now.getTime() < within)
    ? 'failed'
    : 'ok';
}

function describeExpiry(c: ExternalCert, now: Date): string {
  return c.notAfter.getTime() <= now.getTime()
    ? `expired ${c.notAfter.toISOString()}`
    : `${c.daysLeft} day(s) left`;
}

/**
 * Reads the whole chain each endpoint serves. Expired or within `within`
 * anywhere in the chain fails the endpoint (an intermediate that expires
 * before its leaf breaks the chain first).
 */
export async function checkEndpoints(
  endpoints: Endpoint[],
  o: { within: number; timeoutMs: number; now: Date; signal: AbortSignal },
  out: ExternalFindings,
): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const e of endpoints) {
    const name = formatEndpoint(e);
    let chain: ExternalCert[];
    try {
      const served = await readServedChain({
        ...e,
        timeoutMs: o.timeoutMs,
        signal: o.signal,
      });
      chain = served.certificates.map((der, i) => {
        const f = leafFacts(der);
        return {
          ...f,
          source: name,
          position: i,
          daysLeft: daysLeft(f.notAfter, o.now),
        };
      });
    } catch (err) {
      if (o.signal.aborted) throw err;
      out.checks.push({
        name: `tls ${name}`,
        status: 'failed',
        observed: errorMessage(err),
      });
      continue;
    }
    out.certs.push(...chain);
    if (chain.some((c) => c.quantum === 'vulnerable')) out.quantumVulnerable++;
    const first = [...chain].sort(
      (a, b) => a.notAfter.getTime() - b.notAfter.getTime(),
    )[0];
    const status = expiryStatus(chain, o.now, o.within);
    out.checks.push({
      name: `tls ${name}`,
      status,
      observed: first
        ? `${chain.length} certificate(s) served; earliest: ${first.subject} (${first.position === 0 ? 'leaf' : `chain #${first.position}`}), ${describeExpiry(first, o.now)}`
        : 'no certificate served',
      threshold: `more than ${Math.round(o.within / 86_400_000)} day(s) left`,
    });
    for (const c of chain)
      rows.push([
        name,
        c.position === 0 ? 'leaf' : `#${c.position}`,
        c.subject,
        c.notAfter.toISOString(),
        c.daysLeft,
        c.key,
        c.signature,
        quantumCell(c.quantum),
      ]);
  }
  if (rows.length)
    out.details.push(
      `#### TLS endpoints (${endpoints.length})\n\n${table(['Endpoint', 'Position', 'Subject', 'Not after', 'Days left', 'Key', 'Signature', 'Quantum'], rows)}`,
    );
}

/**
 * Every certificate of each PEM bundle (openssl reads only the first),
 * earliest expiry first. A block that does not parse is a warning naming it.
 */
export function checkBundles(
  files: string[],
  o: { within: number; now: Date },
  out: ExternalFindings,
): void {
  for (const file of files) {
    let text: string;
    try {
      text = readFileCappedSync(file, MAX_BUNDLE_BYTES, `bundle ${file}`);
    } catch (err) {
      out.checks.push({
        name: `bundle ${file}`,
        status: 'failed',
        observed: `cannot read it: ${errorMessage(err)}`,
      });
      continue;
    }
    const pem = splitPem(text);
    const certs: ExternalCert[] = [];
    const problems = pem.problems.map((p) => p.message);
    for (const c of pem.certificates) {
      try {
        const f = leafFacts(c.der);
        certs.push({
          ...f,
          source: file,
          position: c.index,
          daysLeft: daysLeft(f.notAfter, o.now),
        });
      } catch (err) {
        problems.push(
          `block ${c.index} (line ${c.line}): ${errorMessage(err)}`,
        );
      }
    }
    certs.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
    out.certs.push(...certs);
    out.quantumVulnerable += certs.filter(
      (c) => c.quantum === 'vulnerable',
    ).length;
    bundleCheck(file, certs, problems, o, out);
  }
}

function bundleCheck(
  file: string,
  certs: ExternalCert[],
  problems: string[],
  o: { within: number; now: Date },
  out: ExternalFindings,
): void {
  const first = certs[0];
  const failing = certs.filter(
    (c) => c.notAfter.getTime() - o.now.getTime() < o.within,
  );
  out.checks.push({
    name: `bundle ${file}`,
    status:
      certs.length === 0 || failing.length > 0
        ? 'failed'
        : problems.length > 0
          ? 'warning'
          : 'ok',
    observed: first
      ? `${certs.length} certificate(s); earliest: ${first.subject}, ${describeExpiry(first, o.now)}${failing.length > 1 ? ` (${failing.length} within the window)` : ''}`
      : 'no certificate in the file',
    threshold: `more than ${Math.round(o.within / 86_400_000)} day(s) left`,
    ...(problems.length
      ? {
          detail: `${problems.length} unreadable block(s): ${problems.slice(0, 3).join('; ')}`,
        }
      : {}),
  });
  if (certs.length === 0) return;
  const shown = certs.slice(0, MAX_BUNDLE_ROWS);
  out.details.push(
    `#### CA bundle ${file} (${certs.length}, earliest expiry first)\n\n${table(
      ['#', 'Subject', 'Not after', 'Days left', 'Key', 'Signature', 'Quantum'],
      shown.map((c) => [
        c.position,
        c.subject,
        c.notAfter.toISOString(),
        c.daysLeft,
        c.key,
        c.signature,
        quantumCell(c.quantum),
      ]),
    )}${certs.length > shown.length ? `\n\n${certs.length - shown.length} later-expiring certificate(s) not shown.` : ''}`,
  );
}
