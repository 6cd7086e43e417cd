/** Slack notifications: the release message, posted once and then updated in place. */
import type { WebClient } from '@slack/web-api';
import { type ReleaseMessage, releaseMessageBlocks, releaseMessageText } from '../src/slack/release-message';

/** The part of WebClient Runway uses; tests may hand in anything with this shape. */
export type SlackApi = { chat: Pick<WebClient['chat'], 'postMessage' | 'update'> };

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export function createSlackActivities({ slack }: { slack: SlackApi }) {
  return {
    async postReleaseMessage(input: { channel: string; message: ReleaseMessage }): Promise<SlackMessageRef> {
      const res = await slack.chat.postMessage({
        channel: input.channel,
        text: releaseMessageText(input.message),
        blocks: releaseMessageBlocks(input.message),
        unfurl_links: false,
      });
      return { channel: res.channel ?? input.channel, ts: res.ts! };
    },

    async updateReleaseMessage(input: SlackMessageRef & { message: ReleaseMessage }): Promise<void> {
      await slack.chat.update({
        channel: input.channel,
        ts: input.ts,
        text: releaseMessageText(input.message),
        blocks: releaseMessageBlocks(input.message),
      });
    },
  };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;
