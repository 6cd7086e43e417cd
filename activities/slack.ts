/**
 * Slack notifications: the release message, posted once and then updated in place, and thread
 * replies under it. Posting is idempotent: each message carries metadata naming its release (and
 * run, so a re-run of the same release id posts its own message), and
 * a retried attempt finds and reuses what an earlier attempt posted (its answer may have been
 * lost). Every write waits its turn on the worker's Slack pacer (./slack-pacer.ts), so many
 * releases in one channel stay within Slack's limits and a rate limit is a wait, not a lost
 * message; a call that waits heartbeats. A messenger's call (`sendSlackInTurn`) whose turn is far
 * off is told when to come back instead, and waits on the messenger's timer (src/domain/slack-turns.ts).
 * Errors leave as ApplicationFailures with a retry decision (./slack-failure.ts).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
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
import { heartbeatWhileWaiting } from './heartbeat-while-waiting';
import { createSlackPacer, type PacedSlackCall, type SharedBudgetAnswer, type SharedSlackBudget, type SlackPacer } from './slack-pacer';
import { createSlackSendTimes } from './slack-send-times';
import type { SlackTurnAnswer } from '../src/domain/slack-turns';

export type { SlackApi };

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface ThreadReplyInput extends SlackMessageRef {
  /** mrkdwn; mention people with `<@U…>` (see src/slack/mention.ts). */
  text: string;
}

/** One of a messenger's Slack calls, made only if its turn is near (src/domain/slack-turns.ts). */
export type SlackInTurnInput = {
  /** Come back instead when the call's turn is further off than this. */
  deferBeyondMs: number;
  /** The turn this call was told to come back for, if it was. */
  turnAtMs?: number;
} & (
  | { send: 'post'; channel: string; message: ReleaseMessage }
  | { send: 'update'; ref: SlackMessageRef; message: ReleaseMessage; final: boolean }
  | { send: 'reply'; ref: SlackMessageRef; text: string }
);

/** Sent (with the message's ref for a post or a reply), or told to come back at `comeBackAtMs` for the turn at `turnAtMs`, nothing sent. */
export type SlackInTurnResult = { sent: true; ref?: SlackMessageRef } | { sent: false; turnAtMs: number; comeBackAtMs: number };

export interface SlackActivityOptions {
  /** Clock for the history lookback. @default Date.now */
  now?: () => number;
}

/** A call waiting its turn this long starts heartbeating, this often (the notify group's heartbeat timeout is 10 s). */
const PACED_HEARTBEAT_MS = 5_000;

export function createSlackActivities({
  slack,
  pacer = createSlackPacer(),
  temporal,
  options = {},
}: {
  slack: SlackApi;
  pacer?: SlackPacer;
  /** Runway's Temporal client: with it every call also keeps to the installation's shared Slack budget (all workers together). */
  temporal?: Client;
  options?: SlackActivityOptions;
}) {
  const now = options.now ?? Date.now;
  const sharedBudgets = new Map<string, SharedSlackBudget>();
  const sharedBudget = (taskQueue: string): SharedSlackBudget | undefined => {
    if (!temporal) return undefined;
    let budget = sharedBudgets.get(taskQueue);
    if (!budget) sharedBudgets.set(taskQueue, (budget = createSlackSendTimes({ temporal, taskQueue })));
    return budget;
  };
  /** Outside an activity (tests calling the functions directly) there is nothing to heartbeat or abort. */
  const paced = <T>(call: Omit<PacedSlackCall<T>, 'signal' | 'shared'>): Promise<T> => {
    const ctx = inActivity();
    if (!ctx) return pacer.run(call);
    const shared = sharedBudget(ctx.info.taskQueue);
    const onSharedAnswer = (answer: SharedBudgetAnswer, tookMs: number) => countSharedAnswer(ctx, answer, tookMs);
    return heartbeatWhileWaiting(ctx, PACED_HEARTBEAT_MS, () => pacer.run({ ...call, signal: ctx.cancellationSignal, ...(shared ? { shared, onSharedAnswer } : {}) }));
  };

  /** A `chat.postMessage` (a release message or a thread reply), in its channel's line. */
  const pacedPost = (args: Parameters<SlackApi['chat']['postMessage']>[0] & { channel: string }) => paced({ kind: 'post', channel: args.channel, send: () => slack.chat.postMessage(args) });

  /** Posts the release message, or returns the one an earlier attempt already posted. */
  async function postReleaseMessage(input: { channel: string; message: ReleaseMessage }): Promise<SlackMessageRef> {
    const { releaseId, runId } = input.message;
    try {
      const channelId = await channelIdFor(slack, input.channel);
      const existing = channelId ? await findReleaseMessage(slack, channelId, releaseId, now(), runId) : undefined;
      if (channelId && existing) return { channel: channelId, ts: existing };
      if (channelId) pacer.learnChannel(input.channel, channelId);
      const res = await pacedPost({
        channel: input.channel,
        text: releaseMessageText(input.message),
        blocks: releaseMessageBlocks(input.message),
        metadata: releaseMetadata(releaseId, runId),
        unfurl_links: false,
      });
      if (res.channel) pacer.learnChannel(input.channel, res.channel);
      return { channel: res.channel ?? input.channel, ts: res.ts! };
    } catch (err) {
      throw slackError(err, `posting the release message for ${releaseId}`);
    }
  }

  /** Replaces the message's content; repeating it is harmless. A release's final state (`final`) goes before other updates waiting. */
  async function updateReleaseMessage(input: SlackMessageRef & { message: ReleaseMessage; final?: boolean }): Promise<void> {
    try {
      await paced({
        kind: 'update',
        channel: input.channel,
        final: input.final === true,
        send: () =>
          slack.chat.update({
            channel: input.channel,
            ts: input.ts,
            text: releaseMessageText(input.message),
            blocks: releaseMessageBlocks(input.message),
            metadata: releaseMetadata(input.message.releaseId, input.message.runId),
          }),
      });
    } catch (err) {
      throw slackError(err, `updating the release message for ${input.message.releaseId}`);
    }
  }

  /** Replies in the message's thread (e.g. the rollback, mentioning the requester); a retry never replies twice. */
  async function postThreadReply(input: ThreadReplyInput): Promise<SlackMessageRef> {
    try {
      if (await threadHasReply(slack, input.channel, input.ts, input.text)) return { channel: input.channel, ts: input.ts };
      const res = await pacedPost({
        channel: input.channel,
        thread_ts: input.ts,
        text: input.text,
        metadata: { event_type: THREAD_REPLY_EVENT_TYPE, event_payload: { thread_ts: input.ts } },
        unfurl_links: false,
      });
      return { channel: res.channel ?? input.channel, ts: res.ts! };
    } catch (err) {
      throw slackError(err, `replying in the thread of ${input.ts}`);
    }
  }

  /**
   * A messenger's call, made only if its turn is near: one further off than `deferBeyondMs` is
   * told when to come back instead (and nothing is sent), so it waits on its messenger's durable
   * timer rather than heartbeating here (src/domain/slack-turns.ts).
   */
  const sendSlackInTurn = slackInTurn({ postReleaseMessage, updateReleaseMessage, postThreadReply }, (input) =>
    pacer.turn(input.send === 'update' ? 'update' : 'post', input.send === 'post' ? input.channel : input.ref.channel, {
      beyondMs: input.deferBeyondMs,
      final: input.send === 'update' && input.final,
      ...(input.turnAtMs !== undefined ? { turnAtMs: input.turnAtMs } : {}),
    }),
  );

  return { postReleaseMessage, updateReleaseMessage, postThreadReply, sendSlackInTurn };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;

/** The three Slack calls a messenger makes. */
export interface SlackCalls {
  postReleaseMessage(input: { channel: string; message: ReleaseMessage }): Promise<SlackMessageRef>;
  updateReleaseMessage(input: SlackMessageRef & { message: ReleaseMessage; final?: boolean }): Promise<void>;
  postThreadReply(input: ThreadReplyInput): Promise<SlackMessageRef>;
}

/** `sendSlackInTurn` over `calls`: each call made once `turn` says it may go, or the turn it was told to come back for. */
export function slackInTurn(calls: SlackCalls, turn: (input: SlackInTurnInput) => SlackTurnAnswer): (input: SlackInTurnInput) => Promise<SlackInTurnResult> {
  return async function sendSlackInTurn(input) {
    const answer = turn(input);
    if (!answer.go) return { sent: false, turnAtMs: answer.turnAtMs, comeBackAtMs: answer.comeBackAtMs };
    switch (input.send) {
      case 'post':
        return { sent: true, ref: await calls.postReleaseMessage({ channel: input.channel, message: input.message }) };
      case 'update':
        await calls.updateReleaseMessage({ ...input.ref, message: input.message, final: input.final });
        return { sent: true };
      case 'reply':
        return { sent: true, ref: await calls.postThreadReply({ ...input.ref, text: input.text }) };
    }
  };
}

/** The worker's series (on its /metrics, through the SDK's exporter): the Slack budget's answers by how they came, and how long they took. */
export const SLACK_BUDGET_ANSWERS_METRIC = 'runway_slack_budget_answer_ms';

/**
 * On the SDK's meter: an operator sees on every worker's /metrics whether the workers really share
 * Slack's pace (answers `in-time`, and how fast) or went on alone (`late`, `missed`).
 */
function countSharedAnswer(ctx: Context, answer: SharedBudgetAnswer, tookMs: number): void {
  ctx.metricMeter
    .createHistogram(
      SLACK_BUDGET_ANSWERS_METRIC,
      'int',
      'ms',
      "the installation's Slack budget's answers to this worker, by how they came (in-time; late: after the send time it named, asked again; missed: none within the ask's deadline, the worker's own pace for a while) and how long each took; overslept: a call that woke past its turn and asked again, by how far past",
    )
    .record(Math.max(0, Math.round(tookMs)), { answer });
}

/**
 * A call its workflow withdrew while it waited its turn (the messenger's final update replacing a
 * waiting one) ends cancelled, as asked, so nobody records it as Slack failing: wrapped as a
 * failure, every release under load recorded "updating the Slack message failed … CANCELLED"
 * (2,000-release bench, 2026-12-05). Any other abort (the worker shutting down) stays a retryable
 * failure, for the next attempt to send.
 */
function slackError(err: unknown, context: string): Error {
  if (err instanceof CancelledFailure && inActivity()?.cancellationDetails?.cancelRequested) return err;
  return slackFailure(err, context);
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
