import { userInfo } from 'node:os';
import { table } from './markdown.js';

/** One line of an incident's timeline: what was done, when, by whom. */
export interface TimelineEntry {
  at: string;
  actor: string;
  what: string;
}

/**
 * Who runs this: the GitHub user who started the workflow (GITHUB_ACTOR),
 * else the CLI user (USER / LOGNAME, else the account name).
 */
export function actorOf(env: NodeJS.ProcessEnv): string {
  const named = env['GITHUB_ACTOR'] || env['USER'] || env['LOGNAME'];
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Entries in order, each stamped with the clock and the actor. */
export class Timeline {
  /**
   * `entries` may be a record's own list (ResultBuilder.timeline), so a run
   * that throws keeps what it did.
   */
  constructor(
    readonly actor: string,
    private readonly now: () => Date,
    readonly entries: TimelineEntry[] = [],
    private readonly onEntry?: (e: TimelineEntry) => void,
  ) {}

  /** Adds one entry now. */
  add(what: string): TimelineEntry {
    const e = { at: this.now().toISOString(), actor: this.actor, what };
    this.entries.push(e);
    this.onEntry?.(e);
    return e;
  }

  /** The timeline as a Markdown section. */
  render(title = 'Timeline'): string {
    return [
      `#### ${title}`,
      '',
      this.entries.length === 0
        ? 'Nothing was done.'
        : table(
            ['When (UTC)', 'Who', 'What'],
            this.entries.map((e) => [e.at, e.actor, e.what]),
          ),
    ].join('\n');
  }
}
