import type { getOctokit } from '@actions/github';

/** The Octokit client @actions/github builds (REST methods, retries off). */
export type GitHubClient = ReturnType<typeof getOctokit>;

/** The repository a run belongs to, from `GITHUB_REPOSITORY` (owner/name). */
export function repositoryOf(
  env: NodeJS.ProcessEnv,
): { owner: string; repo: string } | undefined {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(env['GITHUB_REPOSITORY'] ?? '');
  return m ? { owner: m[1] ?? '', repo: m[2] ?? '' } : undefined;
}

/**
 * An Octokit for `token`, on `GITHUB_API_URL` (GitHub Enterprise Server, or
 * a test server) else api.github.com. @actions/github is loaded only here,
 * on the paths that talk to GitHub, like client-node for clusters.
 */
export async function connectGitHub(
  token: string,
  env: NodeJS.ProcessEnv,
): Promise<GitHubClient> {
  if (token.trim() === '')
    throw new Error('no GitHub token: give github-token (the job token works)');
  const gh = await import('@actions/github');
  return gh.getOctokit(token, {
    baseUrl: env['GITHUB_API_URL'] || 'https://api.github.com',
  });
}
