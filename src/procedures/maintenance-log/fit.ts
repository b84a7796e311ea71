import { fitMarkdown } from '../../report/markdown.js';

/** A size limit and how to count against it. */
export interface Fit {
  limit: number;
  /** Characters for a comment, bytes for a summary. */
  measure: (s: string) => number;
  /** Where the whole log is: the run, the log file. */
  pointer: string;
}

/** The part of the log that is never cut, given the two lists it holds. */
export interface Head {
  head: (issues: string[], next: string[]) => string;
  issues: string[];
  next: string[];
}

/** One folded report: its body, and the fold around a (possibly cut) body. */
export interface Fold {
  body: string;
  wrap: (body: string) => string;
}

const REPORTS = '\n\n## Reports\n\n';
const SEP = '\n\n';
const MIN_CUT = 400;

/**
 * Joins the head and the folds, within `fit` when given: folds are cut
 * first (whole while they fit, then one cut to the room left, then stubs,
 * then a count of those left out), then the issue and follow-up lists (their
 * first items kept, with a count of the rest). The head's status and
 * checklists are never cut.
 */
export function fitSections(h: Head, folds: Fold[], fit?: Fit): string {
  const reports = (parts: string[]) =>
    parts.length > 0 ? REPORTS + parts.join(SEP) : '';
  const whole =
    h.head(h.issues, h.next) + reports(folds.map((f) => f.wrap(f.body)));
  if (!fit || fit.measure(whole) <= fit.limit) return whole;
  const m = fit.measure;
  const note = `${SEP}> Shortened to fit GitHub's limit: ${fit.pointer}`;
  const stub = (f: Fold) =>
    f.wrap(`Left out to fit GitHub's limit: ${fit.pointer}`);
  const room = fit.limit - m(note) - (folds.length > 0 ? m(REPORTS) : 0);
  // The lists give way only when even stubs of the reports would not fit.
  const stubs = folds.reduce((n, f) => n + m(stub(f)) + SEP.length, 0);
  const head = shortenLists(h, fit, Math.min(room - stubs, room - 200));
  if (m(head) > room) return fitMarkdown(head, fit.limit, fit.pointer);
  const parts = fillFolds(folds, room - m(head), m, stub, fit.pointer);
  return head + reports(parts) + note;
}

function shortenLists(h: Head, fit: Fit, room: number): string {
  const full = h.head(h.issues, h.next);
  if (fit.measure(full) <= room) return full;
  const cap = (items: string[], k: number) =>
    items.length <= k
      ? items
      : [
          ...items.slice(0, k),
          `- ... and ${items.length - k} more: ${fit.pointer}`,
        ];
  let k = Math.max(h.issues.length, h.next.length);
  let text = full;
  while (k > 0) {
    k = Math.floor(k / 2);
    text = h.head(cap(h.issues, k), cap(h.next, k));
    if (fit.measure(text) <= room) return text;
  }
  return text;
}

function fillFolds(
  folds: Fold[],
  room: number,
  m: (s: string) => number,
  stub: (f: Fold) => string,
  pointer: string,
): string[] {
  const stubSizes = folds.map((f) => m(stub(f)) + SEP.length);
  const parts: string[] = [];
  let used = 0;
  for (const [i, f] of folds.entries()) {
    const rest = stubSizes.slice(i + 1).reduce((a, b) => a + b, 0);
    const avail = room - used - Math.min(rest, room / 2);
    const whole = f.wrap(f.body);
    let part: string | undefined;
    if (m(whole) + SEP.length <= avail) part = whole;
    else {
      const overhead = m(f.wrap('')) + SEP.length;
      if (avail - overhead >= MIN_CUT)
        part = f.wrap(fitMarkdown(f.body, avail - overhead, pointer));
      else if ((stubSizes[i] ?? 0) <= avail) part = stub(f);
    }
    if (part === undefined) {
      const left = `${folds.length - i} more report(s) left out: ${pointer}`;
      if (used + m(left) <= room) parts.push(left);
      break;
    }
    parts.push(part);
    used += m(part) + SEP.length;
  }
  return parts;
}
