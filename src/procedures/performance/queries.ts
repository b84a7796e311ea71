/** The `query` input: PromQL expressions, one per line, each with a name. */
import { hasControlCharacters } from '../../report/escape.js';

/** One query of the review. */
export interface NamedQuery {
  /** How the report and the metrics call it. */
  name: string;
  expr: string;
}

/** `name: expr`; a name is letters, digits, space, `_`, `.` and `-`. */
const NAMED = /^([A-Za-z][\w .-]{0,62}?)\s*:\s+(\S.*)$/;
/** A bare metric or recording-rule name names itself. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * One query per line: `name: expr`, or a bare expression (a metric or
 * recording-rule name is its own name; anything else is `query N`). Blank
 * lines and lines starting with `#` are skipped. PromQL may hold commas, so
 * lines are the only separator.
 */
export function parseQueries(raw: string): NamedQuery[] {
  const out: NamedQuery[] = [];
  for (const line of raw.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    if (hasControlCharacters(l)) throw new Error('a control character');
    const m = NAMED.exec(l);
    const expr = m ? (m[2] ?? '').trim() : l;
    const name = m
      ? (m[1] ?? '').trim()
      : METRIC_NAME.test(l)
        ? l
        : `query ${out.length + 1}`;
    if (out.some((q) => q.name === name))
      throw new Error(`the name "${name}" is given twice`);
    out.push({ name, expr });
  }
  if (out.length === 0) throw new Error('no query');
  if (out.length > 20) throw new Error('more than 20 queries');
  return out;
}
