/**
 * Answers the clicker privately. Slack gives every interaction a `response_url` that takes
 * replies for 30 minutes without a token; `chat.postEphemeral` is the fallback when a payload has
 * none (or it fails) and a bot token is configured.
 */
import type { WebClient } from '@slack/web-api';
import type { ButtonClick } from './interaction';

/** The part of WebClient the approvals server uses. */
export type EphemeralApi = { chat: Pick<WebClient['chat'], 'postEphemeral'> };

const REPLY_TIMEOUT_MS = 5000;

/** Returns how the reply went out; throws when it could not be delivered at all. */
export async function replyEphemeral(click: ButtonClick, text: string, slack?: EphemeralApi): Promise<'response_url' | 'chat.postEphemeral'> {
  let responseUrlError: Error | undefined;
  if (click.responseUrl) {
    try {
      const res = await fetch(click.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
      });
      if (res.ok) return 'response_url';
      responseUrlError = new Error(`response_url answered HTTP ${res.status}`);
    } catch (err) {
      responseUrlError = err as Error;
    }
  }
  if (slack && click.channelId) {
    await slack.chat.postEphemeral({ channel: click.channelId, user: click.userId, text });
    return 'chat.postEphemeral';
  }
  throw responseUrlError ?? new Error('no response_url in the payload and no Slack client (SLACK_BOT_TOKEN) for chat.postEphemeral');
}
