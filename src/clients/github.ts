import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { GitHubApi } from '../../activities/github';
import type { RunwayEnv } from '../env';

const RunwayOctokit = Octokit.plugin(throttling, retry);

/** Longest rate-limit wait done inside an activity; longer ones become Temporal retries. */
const MAX_IN_CALL_WAIT_S = 5;

/** GitHub REST client with the official throttling and retry plugins. */
export function createGitHubClient(env: Pick<RunwayEnv, 'GITHUB_TOKEN' | 'GITHUB_API_URL'>): GitHubApi {
  return new RunwayOctokit({
    auth: env.GITHUB_TOKEN,
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: 'runway',
    throttle: {
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryAfter <= MAX_IN_CALL_WAIT_S && retryCount < 1,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryAfter <= MAX_IN_CALL_WAIT_S && retryCount < 1,
    },
    retry: { retries: 2 },
  });
}
