/**
 * Reading Slack back: messages on the wire, `conversations.history` (newest first, with
 * `oldest` / `latest` / `limit` / `cursor`, metadata only with `include_all_metadata`) and
 * `conversations.list`. Pure functions over the emulator's state.
 */
import type { SlackMessage } from './emulator';

/** The sandbox's bot user, as auth.test and posted messages name it. */
export const BOT = { user_id: 'U0SANDBOX', bot_id: 'B0SANDBOX', team_id: 'T0SANDBOX', team: 'Runway Sandbox', user: 'runway' };

type Args = Record<string, unknown>;

/** The wire shape of a stored message, with its metadata when the caller asked for it. */
export function messageOnWire(m: SlackMessage, withMetadata: boolean): Record<string, unknown> {
  return {
    type: 'message',
    user: BOT.user_id,
    bot_id: BOT.bot_id,
    team: BOT.team_id,
    ts: m.ts,
    text: m.text ?? '',
    ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
    ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
  };
}

function numberArg(args: Args, name: string): number | undefined {
  const value = args[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Slack's page size rules: default 100, at most 999 (history) or 1000 (list). */
function pageOf<T>(items: T[], args: Args, max: number): { page: T[]; next: string } {
  const limit = Math.min(Math.max(numberArg(args, 'limit') ?? 100, 1), max);
  const start = typeof args.cursor === 'string' && /^\d+$/.test(args.cursor) ? Number(args.cursor) : 0;
  const page = items.slice(start, start + limit);
  return { page, next: start + limit < items.length ? String(start + limit) : '' };
}

/** Top-level messages of a channel (thread replies stay in their thread), newest first. */
export function channelHistory(messages: SlackMessage[], channel: string, args: Args): Record<string, unknown> {
  const oldest = numberArg(args, 'oldest') ?? 0;
  const latest = numberArg(args, 'latest') ?? Number.POSITIVE_INFINITY;
  const inRange = messages
    .filter((m) => m.channel === channel && (m.thread_ts === undefined || m.thread_ts === m.ts))
    .filter((m) => Number(m.ts) >= oldest && Number(m.ts) <= latest)
    .reverse();
  const { page, next } = pageOf(inRange, args, 999);
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
  return { messages: page.map((m) => messageOnWire(m, withMetadata)), has_more: next !== '', response_metadata: { next_cursor: next } };
}

export function channelList(channels: Map<string, string>, args: Args): Record<string, unknown> {
  const all = [...channels].map(([name, id]) => ({ id, name, is_channel: true, is_member: true, is_archived: false }));
  const { page, next } = pageOf(all, args, 1000);
  return { channels: page, response_metadata: { next_cursor: next } };
}

/** A thread: its parent first, then replies oldest first; undefined when there is no such parent. */
export function threadReplies(messages: SlackMessage[], channel: string, args: Args): Record<string, unknown> | undefined {
  const ts = typeof args.ts === 'string' ? args.ts : undefined;
  const parent = messages.find((m) => m.channel === channel && m.ts === ts);
  if (!parent) return undefined;
  const thread = [parent, ...messages.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts)];
  const { page, next } = pageOf(thread, args, 1000);
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
  return { messages: page.map((m) => messageOnWire(m, withMetadata)), has_more: next !== '', response_metadata: { next_cursor: next } };
}
