import { ApplicationFailure } from '@temporalio/common';
import { WebClient } from '@slack/web-api';
import type { RunwayEnv } from '../config/env';

/** The part of Slack's Web API that looks up posted messages. */
export type SlackLookupApi = { conversations: Pick<WebClient['conversations'], 'history' | 'list' | 'replies'> };

/** The part of WebClient Runway uses; tests may hand in anything with this shape. */
export type SlackApi = { chat: Pick<WebClient['chat'], 'postMessage' | 'update'> } & SlackLookupApi;

/**
 * The Slack Web API client. It never retries inside a call: Temporal retries the whole activity,
 * which first looks for what an earlier attempt posted. A retry inside chat.postMessage (after
 * an answer lost on the way back) would skip that check and post a second message. Rate-limited
 * calls are rejected at once, and the worker's Slack pacer (activities/slack-pacer.ts) makes them
 * again after the delay Slack asked for.
 */
export function createSlackClient(env: Pick<RunwayEnv, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>): SlackApi {
  if (!env.SLACK_BOT_TOKEN) return slackNotConfigured;
  return new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 8000,
  });
}

function notConfigured(): never {
  throw ApplicationFailure.nonRetryable('Slack is not configured (set SLACK_BOT_TOKEN)', 'SlackNotConfigured');
}

/** Without a token every Slack call fails at once, and the release records that and goes on. */
const slackNotConfigured: SlackApi = {
  chat: { postMessage: notConfigured, update: notConfigured } as unknown as SlackApi['chat'],
  conversations: { history: notConfigured, list: notConfigured, replies: notConfigured } as unknown as SlackApi['conversations'],
};
