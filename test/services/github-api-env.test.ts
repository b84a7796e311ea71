import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubApi, type GitHubApi } from './github-api.js';

// @actions/github reads GITHUB_API_URL once, when it is first imported: this
// file imports it only after pointing the variable at the simulator.
describe('startGitHubApi through GITHUB_API_URL', () => {
  let api: GitHubApi;

  beforeAll(async () => {
    api = await startGitHubApi({ token: 'ghs_fixed' });
    process.env['GITHUB_API_URL'] = api.url;
  });

  afterAll(async () => {
    await api?.close();
  });

  it('is reached by getOctokit(token) without a baseUrl', async () => {
    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit('ghs_fixed');
    await octokit.rest.issues.createComment({
      owner: 'o',
      repo: 'r',
      issue_number: 1,
      body: 'hi',
    });
    expect(api.comments('o', 'r', 1).map((c) => c.body)).toEqual(['hi']);
  });
});
