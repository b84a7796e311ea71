import type { Status, StepResult } from './step-result.js';

const ICON: Record<Status, string> = {
  ok: '✅ ok',
  warning: '⚠️ warning',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
};

/** Escapes a value for a Markdown table cell. */
export function cell(s: string | number | undefined): string {
  return String(s ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** Renders a Markdown table. */
export function table(
  head: string[],
  rows: (string | number | undefined)[][],
): string {
  const lines = [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Status word with its icon, for headings and tables. */
export function statusLabel(s: Status): string {
  return ICON[s];
}

/**
 * The StepResult as Markdown: the status table first, so the summary reads at
 * a glance, then the details, changes, artifacts and follow-ups.
 */
export function renderResult(r: StepResult): string {
  const out: string[] = [];
  const seconds = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  out.push(`### ${r.procedure}: ${statusLabel(r.status)}`);
  out.push('');
  out.push(r.summary);
  out.push('');
  if (r.checks.length > 0) {
    out.push(
      table(
        ['Check', 'Status', 'Observed', 'Threshold'],
        r.checks.map((c) => [
          c.name,
          statusLabel(c.status),
          c.observed,
          c.threshold ?? '',
        ]),
      ),
    );
    out.push('');
    const notes = r.checks.filter(
      (c) => c.detail !== undefined && c.status !== 'ok',
    );
    if (notes.length > 0) {
      out.push(...notes.map((c) => `- **${c.name}**: ${c.detail ?? ''}`), '');
    }
  }
  for (const d of r.details ?? []) out.push(d, '');
  if (r.changes.length > 0) {
    out.push('#### Changes');
    out.push(
      table(
        ['What', 'Where', 'Undo', 'At'],
        r.changes.map((c) => [c.what, c.where, c.undo, c.at]),
      ),
    );
    out.push('');
  }
  if (r.artifacts.length > 0) {
    out.push('#### Artifacts');
    out.push(
      table(
        ['Path', 'Size', 'sha256'],
        r.artifacts.map((a) => [a.path, a.size, a.sha256]),
      ),
    );
    out.push('');
  }
  if (r.followUps.length > 0) {
    out.push('#### Follow-up', ...r.followUps.map((f) => `- ${f}`), '');
  }
  const target = Object.entries(r.target ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  out.push(
    `<sub>${r.startedAt} → ${r.endedAt} (${seconds.toFixed(1)} s)${target ? `; ${target}` : ''}</sub>`,
  );
  return out.join('\n');
}

/** GitHub's limit for one step's summary. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** GitHub's limit for one comment. */
export const COMMENT_LIMIT_CHARS = 65_536;

/**
 * Cuts Markdown to fit a byte budget, at a line boundary, with a pointer to
 * where the full text is.
 */
export function fitMarkdown(
  md: string,
  maxBytes: number,
  pointer: string,
): string {
  if (Buffer.byteLength(md) <= maxBytes) return md;
  const note = `\n\n> Truncated to fit GitHub's limit. ${pointer}\n`;
  const budget = maxBytes - Buffer.byteLength(note);
  let cut = Buffer.from(md).subarray(0, Math.max(0, budget)).toString('utf8');
  cut = cut.replace(/\uFFFD$/, '');
  const nl = cut.lastIndexOf('\n');
  if (nl > 0) cut = cut.slice(0, nl);
  return cut + note;
}
