import type { StepResult } from '../../report/step-result.js';

/**
 * Text from result files is untrusted (it quotes HTTP bodies, pod output,
 * whatever an earlier job wrote): in the log it must not open or close HTML
 * (a `</details>` would break the fold, a `<!-- pqc-ops:... -->` would forge
 * our marker), mention people (`@team` in a bot comment notifies them) or
 * carry control characters. Markdown emphasis and tables stay readable.
 */

const CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function neutralize(s: string): string {
  return s
    .replace(CONTROL, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=[A-Za-z0-9])/g, '@&#8203;');
}

/** Untrusted text for one line of the log (a list item, a `<summary>`). */
export function inline(s: string): string {
  return neutralize(String(s).replace(/\r?\n|\r|\t/g, ' ')).trim();
}

/** Untrusted Markdown kept as Markdown (a plan table), with its lines. */
export function block(s: string): string {
  return neutralize(String(s).replace(/\r\n?/g, '\n').replace(/\t/g, ' '));
}

/** A copy of a result with every text field made safe, for renderResult. */
export function safeResult(r: StepResult): StepResult {
  const opt = (v: string | undefined) => (v === undefined ? v : block(v));
  return {
    ...r,
    procedure: inline(r.procedure),
    summary: inline(r.summary),
    startedAt: inline(r.startedAt),
    endedAt: inline(r.endedAt),
    target: Object.fromEntries(
      Object.entries(r.target ?? {}).map(([k, v]) => [inline(k), inline(v)]),
    ),
    checks: r.checks.map((c) => ({
      name: inline(c.name),
      status: c.status,
      observed: block(c.observed),
      threshold: opt(c.threshold),
      detail: c.detail === undefined ? undefined : inline(c.detail),
    })),
    changes: r.changes.map((c) => ({
      what: block(c.what),
      where: block(c.where),
      undo: block(c.undo),
      at: inline(c.at),
    })),
    artifacts: r.artifacts.map((a) => ({
      ...a,
      path: block(a.path),
      sha256: inline(a.sha256),
    })),
    followUps: r.followUps.map(inline),
    details: (r.details ?? []).map(block),
  };
}

/** Characters as GitHub counts them (code points), for the comment limit. */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Bytes of UTF-8, for the job summary's limit. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s);
}
