/**
 * Issue and pull-request conversation comments, issues and run approvals,
 * each call retried on GitHub's rate limits.
 */
import { errorMessage } from '../errors.js';
import type { GitHubClient } from './client.js';
import {
  httpFailure,
  withRateLimit,
  type RateLimitOptions,
} from './rate-limit.js';

/** owner/name of a repository. */
export interface Repository {
  owner: string;
  repo: string;
}

/** The author of what the job token writes (`GITHUB_TOKEN` is an installation token). */
export const JOB_TOKEN_LOGIN = 'github-actions[bot]';

/**
 * One line for a failed GitHub call: the status and GitHub's message, or
 * "cannot reach GitHub" when no answer came. Never holds the token.
 */
export function githubErrorMessage(what: string, e: unknown): string {
  const f = httpFailure(e);
  if (!f) return `${what}: cannot reach GitHub: ${errorMessage(e)}`;
  const msg = errorMessage(e).replace(
    /\s*-\s*https:\/\/docs\.github\.com\S*$/,
    '',
  );
  return `${what}: HTTP ${f.status}${msg ? `: ${msg}` : ''}`;
}

/**
 * The login the token writes as: `GET /user`, or, for an installation token
 * (which GitHub refuses there with 403), the Actions bot.
 */
export async function tokenLogin(
  gh: GitHubClient,
  retry: RateLimitOptions,
): Promise<string> {
  try {
    const { data } = await withRateLimit(
      () => gh.rest.users.getAuthenticated(),
      retry,
    );
    return data.login;
  } catch (e) {
    const status = httpFailure(e)?.status;
    if (status === 403 || status === 404) return JOB_TOKEN_LOGIN;
    throw e;
  }
}

/** A comment as far as finding ours goes. */
interface CommentRef {
  id: number;
  body?: string | undefined;
  html_url: string;
  user: { login: string } | null;
}

const PAGE = 100;

/**
 * The first comment on issue (or pull request) `issue` whose author is
 * `author` and whose body holds `marker`; every page is read.
 */
export async function findMarkedComment(
  gh: GitHubClient,
  at: Repository,
  issue: number,
  marker: string,
  author: string,
  retry: RateLimitOptions,
): Promise<CommentRef | undefined> {
  for (let page = 1; ; page++) {
    const { data } = await withRateLimit(
      () =>
        gh.rest.issues.listComments({
          ...at,
          issue_number: issue,
          per_page: PAGE,
          page,
        }),
      retry,
    );
    const found = data.find(
      (c) => c.user?.login === author && (c.body ?? '').includes(marker),
    );
    if (found) return found;
    if (data.length < PAGE) return undefined;
  }
}

/** What {@link upsertMarkedComment} did. */
export interface CommentOutcome {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

/**
 * Create-or-update: the comment of the token's author holding `marker` is
 * updated in place; without one, a comment is created. Comments by anyone
 * else are never touched, whatever they say.
 */
export async function upsertMarkedComment(
  gh: GitHubClient,
  at: Repository,
  issue: number,
  marker: string,
  body: string,
  retry: RateLimitOptions,
): Promise<CommentOutcome> {
  const author = await tokenLogin(gh, retry);
  const mine = await findMarkedComment(gh, at, issue, marker, author, retry);
  if (mine) {
    const { data } = await withRateLimit(
      () => gh.rest.issues.updateComment({ ...at, comment_id: mine.id, body }),
      retry,
    );
    return { action: 'updated', id: data.id, url: data.html_url };
  }
  const { data } = await withRateLimit(
    () => gh.rest.issues.createComment({ ...at, issue_number: issue, body }),
    retry,
  );
  return { action: 'created', id: data.id, url: data.html_url };
}

/** Opens an issue; resolves with its number and page. */
export async function openIssue(
  gh: GitHubClient,
  at: Repository,
  issue: { title: string; body: string; labels: string[] },
  retry: RateLimitOptions,
): Promise<{ number: number; url: string }> {
  const { data } = await withRateLimit(
    () => gh.rest.issues.create({ ...at, ...issue }),
    retry,
  );
  return { number: data.number, url: data.html_url };
}

/** One approval of a run's deployment review. */
export interface Approval {
  login: string;
  environments: string[];
}

/**
 * Who approved the deployments of workflow run `runId` (required
 * reviewers of protected environments); rejections are left out.
 */
export async function runApprovals(
  gh: GitHubClient,
  at: Repository,
  runId: number,
  retry: RateLimitOptions,
): Promise<Approval[]> {
  const { data } = await withRateLimit(
    () => gh.rest.actions.getReviewsForRun({ ...at, run_id: runId }),
    retry,
  );
  return data
    .filter((a) => a.state === 'approved')
    .map((a) => ({
      login: a.user.login,
      environments: a.environments.map((e) => e.name ?? '').filter(Boolean),
    }));
}
