import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { GitHubApi } from '../../activities/github';
import type { RunwayEnv } from '../env';

const RunwayOctokit = Octokit.plugin(throttling, retry);

/** Statuses plugin-retry leaves alone: client errors, plus 429 (a rate limit, handled by Temporal). */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

export interface GitHubClientOptions {
  /** Retries of 5xx and network errors inside one call before the activity fails (and Temporal retries it). @default 2 */
  retries?: number;
  /** Octokit's logger; failed requests are logged at error level. @default console for warn/error */
  log?: { debug: (m: string) => void; info: (m: string) => void; warn: (m: string) => void; error: (m: string) => void };
}

/**
 * GitHub REST client with the official throttling and retry plugins. Rate limits are never waited
 * out in process: both throttling handlers answer "do not retry", so the call fails at once with
 * GitHub's headers and activities/github-errors.ts turns it into a Temporal retry after the reset
 * time. A worker then holds no activity slot for minutes, and a crash loses no sleep.
 */
export function createGitHubClient(env: Pick<RunwayEnv, 'GITHUB_TOKEN' | 'GITHUB_API_URL'>, options: GitHubClientOptions = {}): GitHubApi {
  return new RunwayOctokit({
    auth: env.GITHUB_TOKEN,
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: 'runway',
    ...(options.log ? { log: options.log } : {}),
    throttle: {
      onRateLimit: () => false,
      onSecondaryRateLimit: () => false,
    },
    retry: { retries: options.retries ?? 2, doNotRetry: DO_NOT_RETRY },
  });
}
