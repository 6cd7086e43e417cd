/**
 * One release run's Slack message (src/slack/release-slack-api.ts): the approval request, its
 * updates (the latest wins), thread replies and the final word, sent one at a time by a single
 * chain. Hand-over handlers only change the queue; only this loop issues commands, so how the
 * server splits its tasks' events can never change its commands (the release's background Slack
 * chain could, issue 20's note).
 */
import { ActivityCancellationType, allHandlersFinished, CancellationScope, condition, getExternalWorkflowHandle, isCancellation, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { SlackActivities, SlackInTurnInput, SlackInTurnResult, SlackMessageRef } from '../activities/slack';
import { SLACK_TURN_DEFER_BEYOND_MS } from '../src/domain/slack-turns';
import { SlackMessageQueue, type SlackNext } from '../src/slack/message-queue';
import { releaseSlackHandOverUpdate, type ReleaseSlackInput, type ReleaseSlackResult, releaseSlackSentSignal } from '../src/slack/release-slack-api';
import type { LaneActivities } from '../activities/lane';
import { slackCallWith } from './activity-options';
import { failureMessage } from './compensations';

/**
 * After this long with nothing handed over (and no final yet), the messenger looks whether its
 * release is still running: an approval or a freeze may last longer, a terminated release never
 * hands its final over.
 */
const IDLE_LIMIT_MS = 30 * 24 * 3600_000;
/** After the final update, how long replies may still come by default (a release hands its last one over moments after the final). */
const AFTER_FINAL_MS = 2 * 60_000;

/**
 * Messengers started since 2026-12-07 make each call only when its turn with Slack is near and
 * otherwise wait for it on a timer (`sendSlackInTurn`, src/domain/slack-turns.ts); those started
 * before make the calls at once, to wait their turn heartbeating in the activity.
 */
export const SLACK_TURNS_PATCH = 'slack-messenger-turns';

/** One look at the release run (a describe, no waiting): the lane's own look at a run. */
const { awaitRunClosed: lookAtRelease } = proxyActivities<Pick<LaneActivities, 'awaitRunClosed'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function releaseSlack(input: ReleaseSlackInput): Promise<ReleaseSlackResult> {
  // A proxy only names the options of the commands it schedules: built here, from the input, they schedule the same commands.
  const callOptions = slackCallWith(input.callHeartbeatTimeoutMs);
  const slack = proxyActivities<Pick<SlackActivities, 'postReleaseMessage' | 'updateReleaseMessage' | 'postThreadReply'>>(callOptions);
  /** An update a final may withdraw: cancelled only once its activity has stopped, so it can never land after the final. */
  const withdrawable = proxyActivities<Pick<SlackActivities, 'updateReleaseMessage'>>({ ...callOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
  const inTurn = proxyActivities<Pick<SlackActivities, 'sendSlackInTurn'>>(callOptions);
  const withdrawableInTurn = proxyActivities<Pick<SlackActivities, 'sendSlackInTurn'>>({ ...callOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
  const byTurns = patched(SLACK_TURNS_PATCH);
  /** The call told to come back: not before `comeBackAtMs`, for the turn at `turnAtMs` on its line; `final` if it was the final update. */
  let told: { turnAtMs: number; comeBackAtMs: number; line: 'post' | 'update'; final: boolean } | undefined;
  const queue = new SlackMessageQueue();
  const failures: string[] = [];
  let sending = false;
  /** The last item the release asked to be told about once sent (`tellWhenSent`), and the last item it was told about. */
  let tellUpTo = 0;
  let toldUpTo = 0;
  setHandler(
    releaseSlackHandOverUpdate,
    async ({ items, untilSent, tellWhenSent }) => {
      for (const item of items) queue.accept(item);
      if (tellWhenSent) tellUpTo = Math.max(tellUpTo, ...items.map((item) => item.seq));
      if (untilSent) await condition(() => !sending && queue.next() === undefined);
      return { failures: [...failures] };
    },
    {
      validator: ({ items }) => {
        if (!Array.isArray(items) || items.length === 0) throw new Error('releaseSlackHandOver: at least one item is required');
      },
    },
  );

  let ref: SlackMessageRef | undefined;
  const attempt = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      // Withdrawn by the final is not a failure: the final state follows.
      // Worded as the release words its own best-effort failures, for the release to record as it is.
      if (!isCancellation(err)) failures.push(`${what} failed (release continues): ${failureMessage(err)}`);
      return undefined;
    }
  };
  /**
   * An intermediate update, withdrawn if the final comes while it waits its turn with Slack (under
   * load, minutes). Its own completion wins a tie with the final's arrival: both in one task, the
   * completion's promise settles before any condition is looked at, so a replay decides the same.
   */
  const sendWithdrawable = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    const scope = new CancellationScope();
    let settled = false;
    const sent = scope.run(() => attempt('updating the Slack message', call)).finally(() => (settled = true));
    await Promise.race([sent, condition(() => settled || queue.hasFinal)]);
    if (!settled) scope.cancel();
    return sent;
  };
  /** Posts and replies share their channel's line; updates and finals, the workspace's. */
  const lineOf = (item: SlackNext): 'post' | 'update' => (item.send === 'update' ? 'update' : 'post');
  /**
   * Whether `item` goes at the turn told: it is what was told to come back, or its newer state. A
   * final handed over while an update waits for its turn goes now, asking for its own; so does an
   * item of the other line (a reply while an update waits).
   */
  const hasTurnTold = (item: SlackNext | undefined): boolean =>
    told !== undefined && item !== undefined && lineOf(item) === told.line && !(item.send === 'update' && item.final && !told.final);
  /**
   * Sends `next` if its turn is near; otherwise notes when to come back (`told`) and leaves it
   * next in the queue, so that what goes then is the newest state.
   */
  const sendInTurn = async (next: SlackNext): Promise<void> => {
    const asked = { deferBeyondMs: input.turnDeferBeyondMs ?? SLACK_TURN_DEFER_BEYOND_MS, ...(told && hasTurnTold(next) ? { turnAtMs: told.turnAtMs } : {}) };
    const call = (what: SlackInTurnInput) => () => inTurn.sendSlackInTurn(what);
    let result: SlackInTurnResult | undefined;
    if (next.send === 'post') {
      result = await attempt(`posting ${next.message.withButtons ? 'the approval request' : 'the message'} to Slack`, call({ ...asked, send: 'post', channel: input.channel, message: next.message }));
    } else if (next.send === 'reply') {
      result = await attempt(next.what, call({ ...asked, send: 'reply', ref: ref!, text: next.text }));
    } else if (next.final) {
      result = await attempt('updating the Slack message', call({ ...asked, send: 'update', ref: ref!, message: next.message, final: true }));
    } else {
      result = await sendWithdrawable(() => withdrawableInTurn.sendSlackInTurn({ ...asked, send: 'update', ref: ref!, message: next.message, final: false }));
    }
    if (result && !result.sent) {
      told = { turnAtMs: result.turnAtMs, comeBackAtMs: result.comeBackAtMs, line: lineOf(next), final: next.send === 'update' && next.final };
      return;
    }
    // Sent on the line told (or overtaken there by the final): that turn is spent. A reply sent meanwhile leaves an update's turn as it was.
    if (told?.line === lineOf(next)) told = undefined;
    if (next.send === 'post') {
      ref = result?.ref;
      queue.sent(next, { posted: ref !== undefined });
    } else queue.sent(next);
  };
  /** The release asked to be told, and everything it handed over has been sent. */
  const releaseToTell = () => tellUpTo > toldUpTo && !sending && queue.next() === undefined;
  /**
   * Tells the release everything it handed over has been sent: a signal from this loop only. A
   * release that has closed meanwhile (terminated) cannot be told, and needs no telling.
   */
  const tellRelease = async () => {
    const sentUpTo = Math.max(tellUpTo, ...queue.taken);
    toldUpTo = sentUpTo;
    if (!input.release) return;
    try {
      await getExternalWorkflowHandle(input.release.workflowId, input.release.runId).signal(releaseSlackSentSignal, { sentUpTo, failures: [...failures] });
    } catch {
      // The release has closed: nobody is waiting.
    }
  };
  for (;;) {
    if (releaseToTell()) {
      await tellRelease();
      continue;
    }
    if (told && Date.now() < told.comeBackAtMs && hasTurnTold(queue.next())) {
      // Its turn is far off: a timer costs the server nothing while it runs, a waiting activity a heartbeat every few seconds.
      await condition(() => !hasTurnTold(queue.next()), told.comeBackAtMs - Date.now());
      continue;
    }
    if (!(await condition(() => queue.next() !== undefined || releaseToTell(), queue.done ? (input.afterFinalMs ?? AFTER_FINAL_MS) : (input.idleLimitMs ?? IDLE_LIMIT_MS)))) {
      // A quiet spell before the final: wait on while the release still runs.
      if (!queue.done && input.release && !(await lookAtRelease({ ...input.release, forMs: 0 })).closed) continue;
      // Time to close, unless a hand-over came in the meantime (during the look, say): a release
      // waiting for its last word gets its answer first, and nothing taken is left unsent. Waiting
      // for the handlers alone would wait forever on one whose item only this loop can send.
      await condition(() => allHandlersFinished() || queue.next() !== undefined || releaseToTell());
      if (queue.next() === undefined && !releaseToTell()) break;
      continue;
    }
    const next: SlackNext | undefined = queue.next();
    // Woken to tell the release (the top of the loop does).
    if (!next) continue;
    sending = true;
    if (byTurns) {
      await sendInTurn(next);
    } else if (next.send === 'post') {
      ref = await attempt(`posting ${next.message.withButtons ? 'the approval request' : 'the message'} to Slack`, () => slack.postReleaseMessage({ channel: input.channel, message: next.message }));
      queue.sent(next, { posted: ref !== undefined });
    } else if (next.send === 'reply') {
      await attempt(next.what, () => slack.postThreadReply({ ...ref!, text: next.text }));
      queue.sent(next);
    } else if (next.final) {
      await attempt('updating the Slack message', () => slack.updateReleaseMessage({ ...ref!, message: next.message, final: true }));
      queue.sent(next);
    } else {
      await sendWithdrawable(() => withdrawable.updateReleaseMessage({ ...ref!, message: next.message }));
      queue.sent(next);
    }
    sending = false;
  }
  return { taken: queue.taken, failures };
}
