import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGitHub, repositoryOf } from '../../src/github/client.js';
import { startGitHubApi, type GitHubApi } from '../services/index.js';

describe('GitHub port', () => {
  let api: GitHubApi;
  beforeAll(async () => {
    api = await startGitHubApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('talks to the API named by GITHUB_API_URL, with the token', async () => {
    const gh = await connectGitHub(api.token, { GITHUB_API_URL: api.url });
    const { status } = await gh.rest.issues.createComment({
      owner: 'acme',
      repo: 'service',
      issue_number: 3,
      body: 'from the port',
    });
    expect(status).toBe(201);
    expect(api.comments('acme', 'service', 3).map((c) => c.body)).toEqual([
      'from the port',
    ]);
    expect(api.requests.at(-1)?.path).toBe(
      '/repos/acme/service/issues/3/comments',
    );
  });

  it('a wrong token is the API answer, not a crash', async () => {
    const gh = await connectGitHub('ghs_wrong', { GITHUB_API_URL: api.url });
    await expect(
      gh.rest.issues.listComments({
        owner: 'acme',
        repo: 'service',
        issue_number: 3,
      }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('refuses an empty token and reads GITHUB_REPOSITORY', async () => {
    await expect(connectGitHub(' ', {})).rejects.toThrow(/no GitHub token/);
    expect(repositoryOf({ GITHUB_REPOSITORY: 'acme/service' })).toEqual({
      owner: 'acme',
      repo: 'service',
    });
    expect(repositoryOf({ GITHUB_REPOSITORY: 'nope' })).toBeUndefined();
  });
});
