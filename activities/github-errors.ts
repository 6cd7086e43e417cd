/**
 * How GitHub API errors cross the activity boundary. Access problems (401/403/404) say which
 * token permission or repository is wrong and are never retried; rate limits become retryable
 * failures whose `nextRetryDelay` is GitHub's reset time, so Temporal waits between attempts
 * instead of the activity sleeping inside one (see src/sdk-clients/github.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import Bottleneck from 'bottleneck';
import { FailureType } from './errors';
import { GITHUB_CREDENTIAL } from '../src/sdk-clients/github';

/** Failure types specific to GitHub, beside the shared ones in ./errors. */
export const GitHubFailureType = {
  rateLimited: 'GitHubRateLimited',
  /** Too many writes already waiting for their turn in this worker (see src/sdk-clients/github.ts). */
  writesBusy: 'GitHubWritesBusy',
  buildFailed: 'BuildFailed',
  buildTimedOut: 'BuildTimedOut',
  /** A dispatch was sent but its run never showed up (no `run-name` carrying the runway id). */
  buildRunNotFound: 'BuildRunNotFound',
  notOnReleaseBranch: 'NotOnReleaseBranch',
  deploymentNotCreated: 'DeploymentNotCreated',
} as const;

/** What a call was trying to do, for messages: `creating a deployment in acme/checkout`. */
export interface GitHubCall {
  /** e.g. `creating a deployment` */
  action: string;
  /** `owner/name` */
  repo: string;
  /** The fine-grained token permission (classic scope in brackets) the call needs, e.g. `deployments: write (classic: repo_deployment)`. */
  permission: string;
  /** What else a 404 may mean besides the repository, e.g. `workflow build.yml`. */
  notFoundHint?: string;
}

/** The shape of Octokit's RequestError, read without importing the ESM-only class. */
interface HttpError {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isHttpError(err: unknown): err is HttpError {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** Falls back to a minute when GitHub sends neither header (its own advice for secondary limits). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * When GitHub says to try again, in ms, or undefined when the error is not a rate limit:
 * `retry-after` (seconds) first, then `x-ratelimit-reset` (epoch seconds) when the remaining
 * quota is 0, and a 403/429 that says "rate limit" without either header.
 */
export function rateLimitWaitMs(err: unknown, now: number): number | undefined {
  if (!isHttpError(err) || (err.status !== 403 && err.status !== 429)) return undefined;
  const headers = err.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers['retry-after'] !== undefined) return retryAfter * 1000;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    // One second past the reset, as GitHub's docs advise.
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now) + 1000;
    return DEFAULT_RATE_LIMIT_WAIT_MS;
  }
  if (err.status === 429 || /rate limit/i.test(err.message)) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return undefined;
}

/** How long a write turned away by the worker's write pacing waits before Temporal tries it again. */
const WRITES_BUSY_RETRY_MS = 5_000;

/** Turns an error from Octokit into a failure with a retry decision and a message naming what to fix. */
export function gitHubFailure(err: unknown, call: GitHubCall, now = Date.now()): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const what = `${call.action} in ${call.repo}`;
  if (err instanceof Bottleneck.BottleneckError) {
    return ApplicationFailure.create({
      message: `${what}: too many GitHub writes are waiting in this worker (GitHub asks for one per second); retrying in ${WRITES_BUSY_RETRY_MS / 1000} s`,
      type: GitHubFailureType.writesBusy,
      nextRetryDelay: WRITES_BUSY_RETRY_MS,
    });
  }
  if (!isHttpError(err)) return ApplicationFailure.retryable(`${what}: ${(err as Error)?.message ?? String(err)}`, 'GitHubUnavailable');
  const waitMs = rateLimitWaitMs(err, now);
  if (waitMs !== undefined) {
    return ApplicationFailure.create({
      message: `${what}: GitHub rate limit (HTTP ${err.status}); retrying in ${Math.ceil(waitMs / 1000)} s`,
      type: GitHubFailureType.rateLimited,
      nextRetryDelay: waitMs,
    });
  }
  const said = `GitHub said ${err.status}: ${err.message}`;
  // GITHUB_TOKEN, or the GitHub App the client authenticates as (src/sdk-clients/github.ts).
  const credential = (err as { [GITHUB_CREDENTIAL]?: unknown })[GITHUB_CREDENTIAL];
  const who = typeof credential === 'string' ? credential : 'GITHUB_TOKEN';
  switch (err.status) {
    case 401:
      return ApplicationFailure.nonRetryable(`${what}: ${who} was refused (bad or expired credentials); ${said}`, FailureType.accessDenied);
    case 403:
      return ApplicationFailure.nonRetryable(`${what}: ${who} lacks permission ${call.permission} on ${call.repo}; ${said}`, FailureType.accessDenied);
    case 404:
      return ApplicationFailure.nonRetryable(
        `${what}: repository ${call.repo}${call.notFoundHint ? ` or ${call.notFoundHint}` : ''} not found, or ${who} cannot see it (needs ${call.permission}); ${said}`,
        FailureType.notFound,
      );
    case 400:
    case 409:
    case 422:
      return ApplicationFailure.nonRetryable(`${what}: request refused; ${said}`, FailureType.invalidRequest);
    default:
      return ApplicationFailure.retryable(`${what}: ${said}`, 'GitHubUnavailable');
  }
}

/** Runs one GitHub call and maps its error. */
export async function callGitHub<T>(call: GitHubCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw gitHubFailure(err, call);
  }
}

/** The permissions Runway's calls need, named as GitHub's token settings name them. */
export const GitHubPermission = {
  checks: 'checks: read (classic: repo)',
  contents: 'contents: read (classic: repo)',
  deployments: 'deployments: write (classic: repo_deployment)',
  actionsRead: 'actions: read (classic: repo)',
  actionsWrite: 'actions: write (classic: repo)',
} as const;
