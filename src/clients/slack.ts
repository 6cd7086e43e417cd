import { ApplicationFailure } from '@temporalio/common';
import { WebClient } from '@slack/web-api';
import type { SlackApi } from '../../activities/slack';
import type { RunwayEnv } from '../env';

/**
 * The Slack Web API client. Retries inside a call are kept short: a rate-limited or failing call
 * is retried by Temporal, so a worker never sleeps half an hour inside one activity.
 */
export function createSlackClient(env: Pick<RunwayEnv, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>): SlackApi {
  if (!env.SLACK_BOT_TOKEN) return slackNotConfigured;
  return new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    rejectRateLimitedCalls: true,
  });
}

function notConfigured(): never {
  throw ApplicationFailure.nonRetryable('Slack is not configured (set SLACK_BOT_TOKEN)', 'SlackNotConfigured');
}

/** Without a token every Slack call fails at once, and the release records that and goes on. */
const slackNotConfigured: SlackApi = {
  chat: { postMessage: notConfigured, update: notConfigured } as unknown as SlackApi['chat'],
};
