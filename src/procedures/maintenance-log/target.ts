import { ConfigurationError } from '../../errors.js';
import { repositoryOf } from '../../github/client.js';
import type { Repository } from '../../github/issues.js';
import { readFileCappedSync } from '../../process/read-file.js';
import { oneLine } from '../../report/escape.js';
import { JOB_TOKEN } from './inputs.js';

/** The pull request and issue of the event that started the run. */
export interface RunEvent {
  pullRequest?: number;
  issue?: number;
}

const MAX_EVENT_BYTES = 64 * 1024 * 1024;

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

/**
 * Reads `GITHUB_EVENT_PATH`: `pull_request.number` (pull_request events),
 * `issue.number` (issue and comment events; a pull request when the issue has
 * `pull_request`). No file, or one that does not parse: no event.
 */
export function readEvent(env: NodeJS.ProcessEnv): RunEvent {
  const path = env['GITHUB_EVENT_PATH'];
  if (!path) return {};
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(
      readFileCappedSync(path, MAX_EVENT_BYTES, 'event payload'),
    ) as Record<string, unknown>;
  } catch {
    return {};
  }
  const pr = payload['pull_request'] as { number?: unknown } | undefined;
  const issue = payload['issue'] as
    { number?: unknown; pull_request?: unknown } | undefined;
  const issueNumber = num(issue?.number);
  return {
    pullRequest:
      num(pr?.number) ?? (issue?.pull_request ? issueNumber : undefined),
    issue: issueNumber,
  };
}

/** Where the log goes on GitHub. */
export type Destination =
  | { kind: 'none'; why: string }
  | { kind: 'comment'; repo: Repository; issue: number; token: string }
  | { kind: 'new-issue'; repo: Repository; token: string };

/** The options that decide the destination. */
export interface DestinationOptions {
  commentOn: 'auto' | 'pr' | 'issue' | 'new-issue' | 'none';
  issueNumber: number;
  githubToken: string | undefined;
}

/** The token: the input, or for its default (outside Actions) `$GITHUB_TOKEN`. */
export function resolveToken(
  raw: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (raw === undefined || raw === JOB_TOKEN) return env['GITHUB_TOKEN'] ?? '';
  return raw;
}

/**
 * Resolves `comment-on` against the event: throws a ConfigurationError for a
 * destination that cannot work (no number, no repository, no token), before
 * anything is done.
 */
export function destination(
  o: DestinationOptions,
  env: NodeJS.ProcessEnv,
): Destination {
  if (o.commentOn === 'none')
    return { kind: 'none', why: 'comment-on is none' };
  const event = readEvent(env);
  let issue: number | undefined;
  if (o.commentOn === 'auto') {
    issue = event.pullRequest;
    if (issue === undefined)
      return { kind: 'none', why: 'the run has no pull request' };
  } else if (o.commentOn === 'pr' || o.commentOn === 'issue') {
    issue =
      o.issueNumber ||
      (o.commentOn === 'pr'
        ? event.pullRequest
        : (event.issue ?? event.pullRequest));
    if (issue === undefined)
      throw new ConfigurationError(
        `comment-on is ${o.commentOn} but the run's event has no ${o.commentOn === 'pr' ? 'pull request' : 'issue'}: give input 'issue-number'`,
      );
  }
  const repo = repositoryOf(env);
  if (!repo)
    throw new ConfigurationError(
      `comment-on is ${o.commentOn} but GITHUB_REPOSITORY (owner/name) is not set: set it, or give comment-on none`,
    );
  const token = resolveToken(o.githubToken, env).trim();
  if (token === '')
    throw new ConfigurationError(
      `input 'github-token' is empty but comment-on is ${o.commentOn}: give a token (the job token works), or comment-on none`,
    );
  return issue === undefined
    ? { kind: 'new-issue', repo, token }
    : { kind: 'comment', repo, issue, token };
}

/** The cadence of the run: the input, a cadence word in the workflow's name, the name, or manual. */
export function cadenceOf(
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (given?.trim()) return oneLine(given.trim()).slice(0, 60);
  const workflow = env['GITHUB_WORKFLOW']?.trim() ?? '';
  const word = /daily|weekly|monthly|quarterly|emergency/i.exec(workflow);
  if (word) return word[0].toLowerCase();
  return workflow ? oneLine(workflow).slice(0, 60) : 'manual';
}

/**
 * The hidden line that finds the comment of one workflow and environment
 * again; values are percent-encoded, so none can close the HTML comment.
 */
export function commentMarker(workflow: string, environment: string): string {
  return `<!-- pqc-ops:maintenance-log workflow=${encodeURIComponent(workflow)} environment=${encodeURIComponent(environment)} -->`;
}
