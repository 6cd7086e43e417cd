/**
 * What Slack sends an app when someone clicks a button: a `block_actions` payload, form-encoded
 * as `payload=<JSON>` and signed. Pure builders, so tests can also craft (and tamper with) the
 * exact request the sandbox would send.
 */
import { isRecord } from '../http/route';
import { slackSignatureHeaders } from './signing';
import type { SlackMessage } from './emulator';

const TEAM = { id: 'T0SANDBOX', domain: 'runway-sandbox' };
/** The app's (deprecated) verification token, which Slack still sends in every payload; apps verify signatures instead. */
const VERIFICATION_TOKEN = 'sandbox-verification-token';

export interface MessageButton {
  actionId: string;
  value?: string;
  blockId?: string;
  text?: string;
  style?: string;
}

/** The buttons in a message's `actions` blocks, in order. */
export function messageButtons(message: Pick<SlackMessage, 'blocks'>): MessageButton[] {
  if (!Array.isArray(message.blocks)) return [];
  const buttons: MessageButton[] = [];
  for (const block of message.blocks as unknown[]) {
    if (!isRecord(block) || block.type !== 'actions' || !Array.isArray(block.elements)) continue;
    for (const element of block.elements as unknown[]) {
      if (!isRecord(element) || element.type !== 'button' || typeof element.action_id !== 'string') continue;
      const text = isRecord(element.text) && typeof element.text.text === 'string' ? element.text.text : undefined;
      buttons.push({
        actionId: element.action_id,
        value: typeof element.value === 'string' ? element.value : undefined,
        blockId: typeof block.block_id === 'string' ? block.block_id : undefined,
        text,
        style: typeof element.style === 'string' ? element.style : undefined,
      });
    }
  }
  return buttons;
}

export interface ClickContext {
  message: SlackMessage;
  button: MessageButton;
  /** Slack user id of the clicker. */
  user: string;
  responseUrl: string;
  /** Seconds, for `action_ts`. */
  nowSec: number;
}

/** The `block_actions` payload Slack sends for a button click (the fields apps rely on). */
export function blockActionsPayload(ctx: ClickContext): Record<string, unknown> {
  const { message, button, user } = ctx;
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0SANDBOX',
    token: VERIFICATION_TOKEN,
    team: TEAM,
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: `${Math.floor(ctx.nowSec)}.sandbox.trigger`,
    channel: { id: message.channel, name: 'sandbox' },
    message: { type: 'message', ts: message.ts, text: message.text ?? '', blocks: message.blocks },
    state: { values: {} },
    response_url: ctx.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: button.actionId,
        block_id: button.blockId ?? 'sandbox_block',
        value: button.value,
        text: { type: 'plain_text', text: button.text ?? button.actionId },
        ...(button.style ? { style: button.style } : {}),
        action_ts: ctx.nowSec.toFixed(6),
      },
    ],
  };
}

export interface SignedInteraction {
  body: string;
  headers: Record<string, string>;
}

/** The HTTP request Slack makes: form-encoded `payload=<JSON>`, signed over the exact body bytes. */
export function signedInteraction(signingSecret: string, payload: unknown, timestampSec: number): SignedInteraction {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(signingSecret, timestampSec, body) },
  };
}
