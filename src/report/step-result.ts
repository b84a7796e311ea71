import type { TimelineEntry } from './timeline.js';

/** The outcome of one check, change or whole procedure. */
export type Status = 'ok' | 'warning' | 'failed' | 'skipped';

/** One observation against a threshold. */
export interface Check {
  name: string;
  status: Status;
  /** What was seen, in words a human reads ("3/3 ready", "412 ms"). */
  observed: string;
  /** What it was held to ("< 80% of limit"). */
  threshold?: string;
  /** One line of explanation when not ok. */
  detail?: string;
}

/** One change made to a live system. */
export interface ChangeRecord {
  what: string;
  where: string;
  undo: string;
  at: string;
}

/** A file the run produced. */
export interface Artifact {
  path: string;
  sha256: string;
  size: number;
}

/** The record every procedure returns and persists. */
export interface StepResult {
  procedure: string;
  status: Status;
  /** One line: the headline of the run. */
  summary: string;
  startedAt: string;
  endedAt: string;
  target?: Record<string, string>;
  checks: Check[];
  changes: ChangeRecord[];
  metrics: Record<string, number>;
  artifacts: Artifact[];
  followUps: string[];
  /** Extra Markdown rendered below the checks (plans, per-pod tables). */
  details?: string[];
  /** What was done, when, by whom (incident procedures). */
  timeline?: TimelineEntry[];
}

const RANK: Record<Status, number> = {
  skipped: 0,
  ok: 1,
  warning: 2,
  failed: 3,
};

/** The worst of several statuses (skipped < ok < warning < failed). */
export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'ok';
  let any = false;
  for (const s of statuses) {
    if (!any || RANK[s] > RANK[w]) w = s;
    any = true;
  }
  return any ? w : 'ok';
}

/** Collects checks, changes and metrics while a procedure runs. */
export class ResultBuilder {
  readonly checks: Check[] = [];
  readonly changes: ChangeRecord[] = [];
  readonly metrics: Record<string, number> = {};
  readonly artifacts: Artifact[] = [];
  readonly followUps: string[] = [];
  readonly details: string[] = [];
  /** Left out of the record while empty. */
  readonly timeline: TimelineEntry[] = [];
  readonly startedAt: Date;

  constructor(
    readonly procedure: string,
    private readonly now: () => Date,
    readonly target: Record<string, string> = {},
  ) {
    this.startedAt = now();
  }

  check(c: Check): Check {
    this.checks.push(c);
    return c;
  }

  change(what: string, where: string, undo: string): void {
    this.changes.push({ what, where, undo, at: this.now().toISOString() });
  }

  /** Finishes the record; status is the worst check unless given. */
  finish(summary: string, status?: Status): StepResult {
    return {
      procedure: this.procedure,
      status: status ?? worst(this.checks.map((c) => c.status)),
      summary,
      startedAt: this.startedAt.toISOString(),
      endedAt: this.now().toISOString(),
      target: this.target,
      checks: this.checks,
      changes: this.changes,
      metrics: this.metrics,
      artifacts: this.artifacts,
      followUps: this.followUps,
      details: this.details,
      ...(this.timeline.length > 0 ? { timeline: this.timeline } : {}),
    };
  }
}
