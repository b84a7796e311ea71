import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { listen, readBody } from './http-util.js';

/** The `user` object of a comment (GitHub's simple-user, abridged). */
export interface GitHubUser {
  login: string;
  id: number;
  node_id: string;
  type: 'Bot' | 'User' | 'Organization';
  site_admin: boolean;
}

/** An issue (or pull-request conversation) comment as GitHub returns it. */
export interface IssueComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  issue_url: string;
  author_association: string;
  performed_via_github_app: null;
}

/** An issue as `POST /repos/{owner}/{repo}/issues` returns it (abridged). */
export interface Issue {
  id: number;
  node_id: string;
  number: number;
  url: string;
  html_url: string;
  title: string;
  body: string | null;
  labels: { id: number; name: string; color: string; default: boolean }[];
  state: 'open' | 'closed';
  user: GitHubUser;
  created_at: string;
  updated_at: string;
}

/** One review of a run's pending deployments (`GET .../actions/runs/{id}/approvals`). */
export interface RunApproval {
  state: 'approved' | 'rejected';
  comment: string;
  user: GitHubUser;
  environments: { id: number; node_id: string; name: string }[];
}

/** A rate limit to answer with, as GitHub does. */
export interface RateLimitFault {
  /** 403 (the default) or 429. */
  status?: 403 | 429;
  /** Seconds in a `retry-after` header; for `primary`, the reset's distance. */
  retryAfter?: number;
  /** The primary limit (`x-ratelimit-remaining: 0` and a reset time) instead of a secondary one. */
  primary?: boolean;
}

/** A request as the simulated API saw it, with the status it answered. */
export interface ApiRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  status: number;
}

/** A simulated GitHub REST API for issue comments. */
export interface GitHubApi {
  /** Base URL for `GITHUB_API_URL` or Octokit's `baseUrl`. */
  url: string;
  /** The only token the API accepts. */
  token: string;
  /** Comments on issue or pull request `n`, oldest first. */
  comments(owner: string, repo: string, n: number): IssueComment[];
  /** Seeds a comment, by default from a human user `octocat`. */
  addComment(
    owner: string,
    repo: string,
    n: number,
    body: string,
    user?: Partial<GitHubUser>,
  ): IssueComment;
  requests: ApiRequest[];
  /** Answers the next authenticated request with `status` and `{message}`. */
  failNext(status: number, message?: string): void;
  /** Answers the next authenticated request with a (secondary, by default) rate limit. */
  rateLimitNext(fault?: RateLimitFault): void;
  /** Issues opened through the API, oldest first. */
  issues(owner: string, repo: string): Issue[];
  /** Seeds an approval of workflow run `runId` (by a human reviewer). */
  addApproval(
    owner: string,
    repo: string,
    runId: number,
    login: string,
    environments?: string[],
    state?: RunApproval['state'],
  ): void;
  close(): Promise<void>;
}

/** Options for {@link startGitHubApi}. */
export interface GitHubApiOptions {
  /** Accepted token; a random `ghs_...` one when omitted. */
  token?: string;
  /** Author of comments created through the API; `github-actions[bot]` by default. */
  user?: Partial<GitHubUser>;
}

/** GitHub's limit on a comment body, in characters. */
export const MAX_COMMENT_LENGTH = 65536;
const DOCS = 'https://docs.github.com/rest';
const BOT: GitHubUser = {
  login: 'github-actions[bot]',
  id: 41898282,
  node_id: 'MDM6Qm90NDE4OTgyODI=',
  type: 'Bot',
  site_admin: false,
};
const OCTOCAT: GitHubUser = {
  login: 'octocat',
  id: 583231,
  node_id: 'MDQ6VXNlcjU4MzIzMQ==',
  type: 'User',
  site_admin: false,
};

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): number {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-resource': 'core',
    ...extra,
  });
  res.end(status === 204 ? '' : JSON.stringify(body));
  return status;
}

function error(
  res: ServerResponse,
  status: number,
  message: string,
  more: object = {},
  headers: Record<string, string> = {},
): number {
  return send(
    res,
    status,
    { message, ...more, documentation_url: DOCS, status: String(status) },
    headers,
  );
}

/** The 422 GitHub sends for a missing or too long body, or undefined if fine. */
function bodyProblem(body: unknown): object | undefined {
  if (typeof body !== 'string') {
    return { resource: 'IssueComment', code: 'missing_field', field: 'body' };
  }
  // GitHub counts characters (code points), not UTF-16 units.
  if ([...body].length > MAX_COMMENT_LENGTH) {
    return {
      resource: 'IssueComment',
      code: 'custom',
      field: 'body',
      message: `body is too long (maximum is ${MAX_COMMENT_LENGTH} characters)`,
    };
  }
  return undefined;
}

/** GitHub's `Link` header for page `page` of `last` pages. */
function linkHeader(
  base: string,
  pathname: string,
  query: URLSearchParams,
  page: number,
  last: number,
): string {
  const at = (p: number): string => {
    const q = new URLSearchParams(query);
    q.set('page', String(p));
    return `<${base}${pathname}?${q.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last)
    links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.join(', ');
}

/**
 * Starts a simulated GitHub REST API on 127.0.0.1 serving issue comments the
 * way Octokit (`@actions/github` `getOctokit(token, {baseUrl})`) uses them:
 * list (paginated, `per_page` up to 100, `Link` header), create (201), get,
 * update and delete; plus `GET /user` (403 for the bot's installation token,
 * as GitHub answers), `POST /repos/{o}/{r}/issues` and
 * `GET /repos/{o}/{r}/actions/runs/{id}/approvals`, and injected rate limits
 * (`rateLimitNext`). Every call needs `Authorization: token|Bearer <token>`
 * (401 `Bad credentials` otherwise); bodies over 65,536 characters get
 * GitHub's 422 `Validation Failed`.
 */
export async function startGitHubApi(
  opts: GitHubApiOptions = {},
): Promise<GitHubApi> {
  const token = opts.token ?? `ghs_${randomBytes(18).toString('hex')}`;
  const author: GitHubUser = { ...BOT, ...opts.user };
  const byIssue = new Map<string, IssueComment[]>();
  const byId = new Map<number, { comment: IssueComment; key: string }>();
  const requests: ApiRequest[] = [];
  const failures: {
    status: number;
    message: string;
    headers?: Record<string, string>;
  }[] = [];
  const issues = new Map<string, Issue[]>();
  const approvals = new Map<string, RunApproval[]>();
  let nextIssue = 1001;
  let nextId = 2_500_000_001;
  let base = '';

  const create = (
    owner: string,
    repo: string,
    n: number,
    body: string,
    user: GitHubUser,
  ): IssueComment => {
    const id = nextId++;
    const at = now();
    const comment: IssueComment = {
      id,
      node_id: `IC_kwDO${Buffer.from(String(id)).toString('base64url')}`,
      url: `${base}/repos/${owner}/${repo}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${n}#issuecomment-${id}`,
      body,
      user,
      created_at: at,
      updated_at: at,
      issue_url: `${base}/repos/${owner}/${repo}/issues/${n}`,
      author_association: user.type === 'Bot' ? 'NONE' : 'MEMBER',
      performed_via_github_app: null,
    };
    const key = `${owner}/${repo}#${n}`;
    byIssue.set(key, [...(byIssue.get(key) ?? []), comment]);
    byId.set(id, { comment, key });
    return comment;
  };

  // The user, issue and run-approval endpoints; undefined for other paths.
  const extraRoutes = (
    method: string,
    url: URL,
    body: unknown,
    res: ServerResponse,
  ): number | undefined => {
    if (url.pathname === '/user' && method === 'GET')
      // An installation token (the job token, ghs_...) has no user.
      return author.type === 'Bot'
        ? error(res, 403, 'Resource not accessible by integration')
        : send(res, 200, author);
    const newIssue = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname);
    if (newIssue && method === 'POST') {
      const [, owner, repo] = newIssue;
      const b = (body ?? {}) as {
        title?: unknown;
        body?: unknown;
        labels?: unknown;
      };
      if (typeof b.title !== 'string' || b.title === '')
        return error(res, 422, 'Validation Failed', {
          errors: [
            { resource: 'Issue', code: 'missing_field', field: 'title' },
          ],
        });
      const problem = b.body === undefined ? undefined : bodyProblem(b.body);
      if (problem)
        return error(res, 422, 'Validation Failed', { errors: [problem] });
      const names = (Array.isArray(b.labels) ? b.labels : []).map((l) =>
        typeof l === 'string' ? l : String((l as { name?: unknown }).name),
      );
      const n = nextIssue++;
      const at = now();
      const issue: Issue = {
        id: 3_000_000_000 + n,
        node_id: `I_kwDO${Buffer.from(String(n)).toString('base64url')}`,
        number: n,
        url: `${base}/repos/${owner}/${repo}/issues/${n}`,
        html_url: `https://github.com/${owner}/${repo}/issues/${n}`,
        title: b.title,
        body: typeof b.body === 'string' ? b.body : null,
        labels: names.map((name, i) => ({
          id: 7_000_000 + i,
          name,
          color: 'ededed',
          default: false,
        })),
        state: 'open',
        user: author,
        created_at: at,
        updated_at: at,
      };
      const key = `${owner}/${repo}`;
      issues.set(key, [...(issues.get(key) ?? []), issue]);
      return send(res, 201, issue, { location: issue.url });
    }
    const runApprovals =
      /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/approvals$/.exec(
        url.pathname,
      );
    if (runApprovals && method === 'GET') {
      const [, owner, repo, id] = runApprovals;
      return send(res, 200, approvals.get(`${owner}/${repo}#${id}`) ?? []);
    }
    return undefined;
  };

  const route = (
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    body: unknown,
    res: ServerResponse,
  ): number => {
    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(
      headers.authorization ?? '',
    );
    if (auth?.[1] !== token) return error(res, 401, 'Bad credentials');
    const failure = failures.shift();
    if (failure)
      return error(res, failure.status, failure.message, {}, failure.headers);
    const other = extraRoutes(method, url, body, res);
    if (other !== undefined) return other;
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(
      url.pathname,
    );
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(
      url.pathname,
    );
    if (list && method === 'GET') {
      const [, owner, repo, n] = list;
      const all = byIssue.get(`${owner}/${repo}#${n}`) ?? [];
      const perPage = Math.min(
        Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1),
        100,
      );
      const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
      const last = Math.max(Math.ceil(all.length / perPage), 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const link = linkHeader(base, url.pathname, url.searchParams, page, last);
      return send(res, 200, slice, link ? { link } : {});
    }
    if (list && method === 'POST') {
      const [, owner, repo, n] = list;
      const text = (body as { body?: unknown } | undefined)?.body;
      const problem = bodyProblem(text);
      if (problem)
        return error(res, 422, 'Validation Failed', { errors: [problem] });
      const comment = create(owner, repo, Number(n), text as string, author);
      return send(res, 201, comment, { location: comment.url });
    }
    const found = one ? byId.get(Number(one[3])) : undefined;
    const sameRepo =
      found && one && found.key.startsWith(`${one[1]}/${one[2]}#`);
    if (one && (!found || !sameRepo)) return error(res, 404, 'Not Found');
    if (found && method === 'GET') return send(res, 200, found.comment);
    if (found && method === 'PATCH') {
      const text = (body as { body?: unknown } | undefined)?.body;
      const problem = bodyProblem(text);
      if (problem)
        return error(res, 422, 'Validation Failed', { errors: [problem] });
      found.comment.body = text as string;
      found.comment.updated_at = now();
      return send(res, 200, found.comment);
    }
    if (found && method === 'DELETE') {
      byId.delete(found.comment.id);
      byIssue.set(
        found.key,
        (byIssue.get(found.key) ?? []).filter((c) => c !== found.comment),
      );
      return send(res, 204, undefined);
    }
    return error(res, 404, 'Not Found');
  };

  const http = await listen(async (req, res) => {
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', base);
    let body: unknown;
    let status: number;
    try {
      body = raw ? JSON.parse(raw) : undefined;
      status = route(method, url, req.headers, body, res);
    } catch {
      status = error(res, 400, 'Problems parsing JSON');
    }
    requests.push({
      method,
      path: req.url ?? '/',
      headers: req.headers,
      body,
      status,
    });
  });
  base = http.url;

  return {
    url: http.url,
    token,
    requests,
    comments: (owner, repo, n) => [
      ...(byIssue.get(`${owner}/${repo}#${n}`) ?? []),
    ],
    addComment: (owner, repo, n, body, user) =>
      create(owner, repo, n, body, { ...OCTOCAT, ...user }),
    failNext(status, message = 'Server Error') {
      failures.push({ status, message });
    },
    rateLimitNext({ status = 403, retryAfter = 1, primary = false } = {}) {
      failures.push(
        primary
          ? {
              status,
              message: 'API rate limit exceeded for installation ID 4242.',
              headers: {
                'x-ratelimit-remaining': '0',
                'x-ratelimit-reset': String(
                  Math.ceil(Date.now() / 1000) + retryAfter,
                ),
              },
            }
          : {
              status,
              message:
                'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
              headers: { 'retry-after': String(retryAfter) },
            },
      );
    },
    issues: (owner, repo) => [...(issues.get(`${owner}/${repo}`) ?? [])],
    addApproval(
      owner,
      repo,
      runId,
      login,
      environments = ['production'],
      state = 'approved',
    ) {
      const key = `${owner}/${repo}#${runId}`;
      approvals.set(key, [
        ...(approvals.get(key) ?? []),
        {
          state,
          comment: '',
          user: { ...OCTOCAT, login, id: 600_000 + login.length },
          environments: environments.map((name, i) => ({
            id: 161_000 + i,
            node_id: `EN_${i}`,
            name,
          })),
        },
      ]);
    },
    close: () => http.close(),
  };
}
