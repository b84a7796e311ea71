import { table } from '../../report/markdown.js';
import type { RenewalOutcome } from './wait.js';
import type { CertRow } from './scan.js';

/** Rows shown in the summary; the full inventory is the JSON artifact. */
export const MAX_ROWS = 200;

function day(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : 'none';
}

/** The Certificates table: due and problematic ones first, then by days left. */
export function certificatesTable(rows: CertRow[]): string {
  const rank = (r: CertRow): number =>
    r.due ? 0 : r.findings.length > 0 ? 1 : 2;
  const sorted = [...rows].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.daysLeft ?? -1e9) - (b.daysLeft ?? -1e9) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
  const shown = sorted.slice(0, MAX_ROWS);
  const body = table(
    [
      'Certificate',
      'Ready',
      'Not after',
      'Days left',
      'Renewal time',
      'Issuer',
      'Secret',
      'Key',
      'Signature',
      'Quantum',
      'Due / findings',
    ],
    shown.map((r) => [
      `${r.namespace}/${r.name}`,
      r.issuing ? `${r.ready} (issuing)` : r.ready,
      day(r.notAfter),
      r.daysLeft ?? '',
      day(r.renewalTime),
      r.issuer,
      r.secretName,
      r.leaf?.key ?? '',
      r.leaf?.signature ?? '',
      r.leaf ? quantumCell(r.leaf.quantum) : 'unknown',
      [
        r.due,
        r.issuing ? 'renewal in progress' : '',
        r.failedIssuanceAttempts > 0
          ? `${r.failedIssuanceAttempts} failed attempt(s)`
          : '',
        ...r.findings,
      ]
        .filter(Boolean)
        .join('; '),
    ]),
  );
  const more =
    rows.length > shown.length
      ? `\n\n${rows.length - shown.length} more Certificate(s) not shown: every one is in the inventory artifact.`
      : '';
  return `#### Certificates (${rows.length})\n\n${rows.length ? body : 'No Certificates in scope.'}${more}`;
}

/** A quantum verdict as a table cell. */
export function quantumCell(q: string): string {
  return q === 'vulnerable' ? '⚠ vulnerable' : q;
}

/** Renewals: revision and notAfter before and after. */
export function renewalsTable(outcomes: RenewalOutcome[]): string {
  return `#### Renewals (${outcomes.length})\n\n${table(
    ['Certificate', 'Before', 'After', 'Result'],
    outcomes.map((x) => [
      x.object,
      `revision ${x.before.revision}, notAfter ${day(x.before.notAfter)}`,
      x.after
        ? `revision ${x.after.revision}, notAfter ${day(x.after.notAfter)}`
        : '',
      x.done ? 'renewed' : `not renewed: ${x.problem ?? 'unknown'}`,
    ]),
  )}`;
}
