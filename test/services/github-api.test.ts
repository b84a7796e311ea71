import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_COMMENT_LENGTH,
  startGitHubApi,
  type GitHubApi,
} from './github-api.js';

const repo = { owner: 'acme', repo: 'service' };

describe('startGitHubApi with @actions/github', () => {
  let api: GitHubApi;
  let octokit: ReturnType<typeof getOctokit>;

  beforeAll(async () => {
    api = await startGitHubApi();
    octokit = getOctokit(api.token, { baseUrl: api.url });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('creates comments with GitHub-shaped objects', async () => {
    const { status, data } = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: 7,
      body: '<!-- pqc-ops -->\nfirst',
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      body: '<!-- pqc-ops -->\nfirst',
      user: { login: 'github-actions[bot]', type: 'Bot' },
      url: `${api.url}/repos/acme/service/issues/comments/${data.id}`,
      html_url: `https://github.com/acme/service/issues/7#issuecomment-${data.id}`,
      issue_url: `${api.url}/repos/acme/service/issues/7`,
    });
    expect(data.node_id).toMatch(/^IC_/);
    expect(data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(api.comments('acme', 'service', 7)).toHaveLength(1);
    const auth = api.requests.at(-1)!.headers.authorization;
    expect(auth).toBe(`token ${api.token}`);
  });

  it('paginates listComments with a Link header', async () => {
    for (let i = 0; i < 44; i++) api.addComment('acme', 'service', 8, `c${i}`);
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: 8,
      body: 'mine',
    });
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      ...repo,
      issue_number: 8,
      per_page: 20,
    });
    expect(all.map((c) => c.body)).toHaveLength(45);
    expect(all.at(-1)).toMatchObject({ body: 'mine', user: { type: 'Bot' } });
    expect(all[0].user).toMatchObject({ login: 'octocat', type: 'User' });
    const pages = api.requests.filter((r) =>
      r.path.includes('/issues/8/comments?'),
    );
    expect(
      pages.map(
        (r) => new URL(r.path, api.url).searchParams.get('page') ?? '1',
      ),
    ).toEqual(['1', '2', '3']);

    const second = await octokit.rest.issues.listComments({
      ...repo,
      issue_number: 8,
      per_page: 20,
      page: 2,
    });
    const base = `${api.url}/repos/acme/service/issues/8/comments?per_page=20`;
    expect(second.headers.link).toBe(
      `<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", ` +
        `<${base}&page=3>; rel="last", <${base}&page=1>; rel="first"`,
    );
    const none = await octokit.rest.issues.listComments({
      ...repo,
      issue_number: 99,
    });
    expect(none.data).toEqual([]);
    expect(none.headers.link).toBeUndefined();
  });

  it('updates and reads back a comment', async () => {
    const [mine] = api.comments('acme', 'service', 7);
    const updated = await octokit.rest.issues.updateComment({
      ...repo,
      comment_id: mine.id,
      body: 'second',
    });
    expect(updated.status).toBe(200);
    const read = await octokit.rest.issues.getComment({
      ...repo,
      comment_id: mine.id,
    });
    expect(read.data.body).toBe('second');
    await expect(
      octokit.rest.issues.getComment({
        owner: 'acme',
        repo: 'other',
        comment_id: mine.id,
      }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('answers 422 for a body over 65,536 characters', async () => {
    const atLimit = 'é'.repeat(MAX_COMMENT_LENGTH);
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: 9,
      body: atLimit,
    });
    const err: unknown = await octokit.rest.issues
      .createComment({ ...repo, issue_number: 9, body: `${atLimit}x` })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'IssueComment',
              code: 'custom',
              field: 'body',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
        },
      },
    });
    expect(api.comments('acme', 'service', 9)).toHaveLength(1);
  });

  it('answers 401 Bad credentials to a wrong token', async () => {
    const wrong = getOctokit('ghs_wrong', { baseUrl: api.url });
    await expect(
      wrong.rest.issues.listComments({ ...repo, issue_number: 7 }),
    ).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Bad credentials' } },
    });
    const res = await fetch(`${api.url}/repos/acme/service/issues/7/comments`);
    expect(res.status).toBe(401);
  });

  it('fails on demand', async () => {
    api.failNext(502, 'Server Error');
    await expect(
      octokit.rest.issues.listComments({ ...repo, issue_number: 7 }),
    ).rejects.toMatchObject({
      status: 502,
    });
  });
});
