/**
 * Slack notifications: the release message, posted once and then updated in place, and thread
 * replies under it. Posting is idempotent: each message carries metadata naming its release (and
 * run, so a re-run of the same release id posts its own message), and
 * a retried attempt finds and reuses what an earlier attempt posted (its answer may have been
 * lost). Errors leave as ApplicationFailures with a retry decision (./slack-failure.ts).
 */
import type { SlackApi } from '../src/sdk-clients/slack';
import {
  channelIdFor,
  findReleaseMessage,
  releaseMetadata,
  THREAD_REPLY_EVENT_TYPE,
  threadHasReply,
} from './slack-lookup';
import { type ReleaseMessage, releaseMessageBlocks, releaseMessageText } from '../src/slack/release-message';
import { slackFailure } from './slack-failure';

export type { SlackApi };

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface ThreadReplyInput extends SlackMessageRef {
  /** mrkdwn; mention people with `<@U…>` (see src/slack/mention.ts). */
  text: string;
}

export interface SlackActivityOptions {
  /** Clock for the history lookback. @default Date.now */
  now?: () => number;
}

export function createSlackActivities({ slack, options = {} }: { slack: SlackApi; options?: SlackActivityOptions }) {
  const now = options.now ?? Date.now;

  return {
    /** Posts the release message, or returns the one an earlier attempt already posted. */
    async postReleaseMessage(input: { channel: string; message: ReleaseMessage }): Promise<SlackMessageRef> {
      const { releaseId, runId } = input.message;
      try {
        const channelId = await channelIdFor(slack, input.channel);
        const existing = channelId ? await findReleaseMessage(slack, channelId, releaseId, now(), runId) : undefined;
        if (channelId && existing) return { channel: channelId, ts: existing };
        const res = await slack.chat.postMessage({
          channel: input.channel,
          text: releaseMessageText(input.message),
          blocks: releaseMessageBlocks(input.message),
          metadata: releaseMetadata(releaseId, runId),
          unfurl_links: false,
        });
        return { channel: res.channel ?? input.channel, ts: res.ts! };
      } catch (err) {
        throw slackFailure(err, `posting the release message for ${releaseId}`);
      }
    },

    /** Replaces the message's content; repeating it is harmless. */
    async updateReleaseMessage(input: SlackMessageRef & { message: ReleaseMessage }): Promise<void> {
      try {
        await slack.chat.update({
          channel: input.channel,
          ts: input.ts,
          text: releaseMessageText(input.message),
          blocks: releaseMessageBlocks(input.message),
          metadata: releaseMetadata(input.message.releaseId, input.message.runId),
        });
      } catch (err) {
        throw slackFailure(err, `updating the release message for ${input.message.releaseId}`);
      }
    },

    /** Replies in the message's thread (e.g. the rollback, mentioning the requester); a retry never replies twice. */
    async postThreadReply(input: ThreadReplyInput): Promise<SlackMessageRef> {
      try {
        if (await threadHasReply(slack, input.channel, input.ts, input.text)) return { channel: input.channel, ts: input.ts };
        const res = await slack.chat.postMessage({
          channel: input.channel,
          thread_ts: input.ts,
          text: input.text,
          metadata: { event_type: THREAD_REPLY_EVENT_TYPE, event_payload: { thread_ts: input.ts } },
          unfurl_links: false,
        });
        return { channel: res.channel ?? input.channel, ts: res.ts! };
      } catch (err) {
        throw slackFailure(err, `replying in the thread of ${input.ts}`);
      }
    },
  };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;
