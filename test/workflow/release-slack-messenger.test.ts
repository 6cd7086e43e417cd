/**
 * A release run's Slack messenger (workflows/release-slack-messenger.ts, issue 20) on the test
 * server, reached through the real hand-over activity (activities/release-slack-hand-over.ts):
 * it sends what it is handed in the release's order, answers a release waiting for its last word
 * once it has been sent, and, once closed, answers a late retried hand-over from its result
 * instead of starting a second messenger that has no message to update.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createReleaseSlackHandOver, type SlackHandOverInput } from '../../activities/release-slack-hand-over';
import { createLaneActivities } from '../../activities/lane';
import { type SlackActivities, type SlackInTurnInput, slackInTurn } from '../../activities/slack';
import type { SlackTurnAnswer } from '../../src/domain/slack-turns';
import type { SlackHandOver } from '../../src/slack/message-queue';
import { RELEASE_SLACK_WORKFLOW_TYPE, type ReleaseSlackReport, type ReleaseSlackResult, releaseSlackWorkflowId } from '../../src/slack/release-slack-api';
import { quietLogger } from '../support/activity-env';
import { testNativeConnection, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { messageWithHeadline } from '../support/release-message';
import { recordHistory } from '../support/record-history';
import { withSlackInTurn } from '../support/fake-activities';

jest.setTimeout(60_000);

const temporal = useTestClient();

const message = messageWithHeadline;

/** What the fake Slack was asked to send, in order. */
function recordingSlack(sent: string[]): Pick<SlackActivities, 'postReleaseMessage' | 'updateReleaseMessage' | 'postThreadReply'> {
  return {
    postReleaseMessage: async ({ channel, message }) => {
      sent.push(`post ${message.headline}`);
      return { channel, ts: '1.0001' };
    },
    updateReleaseMessage: async ({ message, final }) => {
      sent.push(`${final ? 'final' : 'update'} ${message.headline}`);
    },
    postThreadReply: async ({ channel, text }) => {
      sent.push(`reply ${text}`);
      return { channel, ts: '1.0002' };
    },
  };
}

/** What a messenger's worker runs: the fake Slack, and the lane's look at a run on the test server. */
function messengerActivities(sent: string[]) {
  return { ...withSlackInTurn(recordingSlack(sent)), awaitRunClosed: createLaneActivities({ temporal: temporal.client }).awaitRunClosed };
}

/** The release side of one run: its hand-overs through the real activity, on the test client. */
function releaseRun(taskQueue: string) {
  const handOver = createReleaseSlackHandOver({ temporal: temporal.client });
  const releaseId = uniqueId('release-checkout');
  const runId = 'run-1';
  const hand = (items: SlackHandOver[], untilSent = false): Promise<ReleaseSlackReport> =>
    new MockActivityEnvironment(undefined, { logger: quietLogger }).run(handOver.handSlackItemsOver, {
      taskQueue,
      releaseId,
      runId,
      channel: '#deploys',
      items,
      ...(untilSent ? { untilSent } : {}),
    } satisfies SlackHandOverInput);
  return { hand, messengerId: releaseSlackWorkflowId(releaseId, runId) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('sends in order, answers the last word once sent, and answers a hand-over retried after it closed without starting another', async () => {
  const taskQueue = uniqueId('slack-messenger');
  const sent: string[] = [];
  const { hand, messengerId } = releaseRun(taskQueue);
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: messengerActivities(sent) });
  await worker.runUntil(async () => {
    // Started as the first hand-over would, with a short stay after the final (2 minutes by default).
    const messenger = await temporal.client.workflow.start(RELEASE_SLACK_WORKFLOW_TYPE, { workflowId: messengerId, taskQueue, args: [{ channel: '#deploys', afterFinalMs: 300 }] });
    await hand([{ seq: 1, kind: 'post', message: message('Waiting for approval') }]);
    await hand([{ seq: 2, kind: 'reply', what: 'reminding', text: 'still waiting' }]);
    await expect(hand([{ seq: 3, kind: 'final', message: message('Released to production') }], true)).resolves.toEqual({ failures: [] });
    // The answer came once the final was sent, and the reply handed over before it went first.
    expect(sent).toEqual(['post Waiting for approval', 'reply still waiting', 'final Released to production']);

    const result = (await messenger.result()) as ReleaseSlackResult;
    expect(result).toEqual({ taken: [1, 2, 3], failures: [] });

    // The final's hand-over retried after the messenger closed: it had been taken, so it was sent.
    await expect(hand([{ seq: 3, kind: 'final', message: message('Released to production') }], true)).resolves.toEqual({ failures: [] });
    // A reply that never reached it: reported as not sent, not silently dropped.
    const late = await hand([{ seq: 4, kind: 'reply', what: 'replying to the requester', text: 'done' }], true);
    expect(late.failures).toEqual([expect.stringMatching(/had closed before item\(s\) 4 reached it: not sent/)]);
    // Neither started a second messenger: the only run is the one that closed, and nothing more was sent.
    expect((await temporal.client.workflow.getHandle(messenger.workflowId).describe()).runId).toBe(messenger.firstExecutionRunId);
    expect(sent).toHaveLength(3);
  });
});

it('waits through quiet spells while its release runs, and ends at one once the release has closed without a final word', async () => {
  const taskQueue = uniqueId('slack-messenger');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: messengerActivities([]) });
  await worker.runUntil(async () => {
    // Any running workflow will do as the release run: another messenger, quiet for its default 30 days.
    const release = await temporal.client.workflow.start(RELEASE_SLACK_WORKFLOW_TYPE, { workflowId: uniqueId('stand-in-release'), taskQueue, args: [{ channel: '#deploys' }] });
    const messenger = await temporal.client.workflow.start(RELEASE_SLACK_WORKFLOW_TYPE, {
      workflowId: uniqueId('quiet-messenger'),
      taskQueue,
      args: [{ channel: '#deploys', release: { workflowId: release.workflowId, runId: release.firstExecutionRunId }, idleLimitMs: 200 }],
    });
    const looks = async () => (await messenger.fetchHistory()).events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitRunClosed').length;
    // Several quiet spells pass, each ending in a look at the release, and the messenger waits on.
    for (let i = 0; i < 100 && (await looks()) < 3; i++) await sleep(100);
    expect(await looks()).toBeGreaterThanOrEqual(3);
    expect((await messenger.describe()).status.name).toBe('RUNNING');
    // The release is terminated (it will never hand its final over): the next look ends the messenger.
    await release.terminate('test: a release terminated by an operator');
    await expect(messenger.result()).resolves.toEqual({ taken: [], failures: [] });
  });
});

it("heartbeats while its messenger has not yet taken the item (only a lost worker times a hand-over out), and starts the messenger ahead of the releases' tasks", async () => {
  const taskQueue = uniqueId('slack-messenger');
  const releaseId = uniqueId('release-checkout');
  const handOver = createReleaseSlackHandOver({ temporal: temporal.client });
  const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  let settled = false;
  // No worker polls the queue yet: the messenger is started but cannot take the item, as behind a deep backlog.
  const handing = env
    .run(handOver.handSlackItemsOver, { taskQueue, releaseId, runId: 'run-1', channel: '#deploys', items: [{ seq: 1, kind: 'post', message: message('Waiting for approval') }] } satisfies SlackHandOverInput)
    .finally(() => (settled = true));
  for (let i = 0; i < 100 && beats.length === 0; i++) await sleep(100);
  expect(beats).toContainEqual({ waitingFor: 'the Slack messenger to take the item(s)' });
  expect(settled).toBe(false);

  const sent: string[] = [];
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: messengerActivities(sent) });
  await worker.runUntil(async () => {
    await expect(handing).resolves.toEqual({ failures: [] });
    const messenger = temporal.client.workflow.getHandle(releaseSlackWorkflowId(releaseId, 'run-1'));
    expect((await messenger.describe()).raw.workflowExecutionInfo?.priority?.priorityKey).toBe(2);
    await messenger.terminate('test done');
  });
});

it("gives its Slack calls the heartbeat timeout the starting worker was set to (RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT), and Runway's 10 s without one", async () => {
  const taskQueue = uniqueId('slack-messenger');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: messengerActivities([]) });
  /** The heartbeat timeout (s) of the post a messenger scheduled, started by a hand-over from a worker with this setting. */
  const postHeartbeatTimeout = async (callHeartbeatTimeoutMs: number | undefined): Promise<number | undefined> => {
    const releaseId = uniqueId('release-checkout');
    const handOver = createReleaseSlackHandOver({ temporal: temporal.client, ...(callHeartbeatTimeoutMs === undefined ? {} : { callHeartbeatTimeoutMs }) });
    await new MockActivityEnvironment(undefined, { logger: quietLogger }).run(handOver.handSlackItemsOver, {
      taskQueue,
      releaseId,
      runId: 'run-1',
      channel: '#deploys',
      items: [{ seq: 1, kind: 'post', message: message('Waiting for approval') }],
      untilSent: true,
    } satisfies SlackHandOverInput);
    const messenger = temporal.client.workflow.getHandle(releaseSlackWorkflowId(releaseId, 'run-1'));
    const scheduled = (await messenger.fetchHistory()).events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendSlackInTurn');
    if (callHeartbeatTimeoutMs === 30_000) recordHistory(messenger.workflowId, 'slack-messenger-call-heartbeat-30s');
    await messenger.terminate('test done');
    return Number(scheduled?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds ?? NaN);
  };
  await worker.runUntil(async () => {
    expect(await postHeartbeatTimeout(30_000)).toBe(30);
    expect(await postHeartbeatTimeout(undefined)).toBe(10);
  });
});

it('a call whose turn with Slack is far off waits for it on a timer, sends the newest state when it comes back, and a final overtakes an update still waiting', async () => {
  const taskQueue = uniqueId('slack-messenger');
  const sent: string[] = [];
  const asks: SlackInTurnInput[] = [];
  /** Told to come back, as a worker's pacer would with a long line: the post and the first update for a second, a later update for ten minutes. */
  const comeBackIn = new Map([
    [1, 1_000],
    [3, 1_000],
    [5, 600_000],
  ]);
  const turn = (input: SlackInTurnInput): SlackTurnAnswer => {
    asks.push(input);
    const ms = comeBackIn.get(asks.length);
    return ms === undefined ? { go: true } : { go: false, turnAtMs: Date.now() + ms, comeBackAtMs: Date.now() + ms, promisedUntilMs: Date.now() + ms };
  };
  const activities = { ...recordingSlack(sent), sendSlackInTurn: slackInTurn(recordingSlack(sent), turn), awaitRunClosed: createLaneActivities({ temporal: temporal.client }).awaitRunClosed };
  const { hand, messengerId } = releaseRun(taskQueue);
  const asked = async (n: number) => {
    for (let i = 0; i < 100 && asks.length < n; i++) await sleep(100);
    expect(asks.length).toBeGreaterThanOrEqual(n);
  };
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities });
  await worker.runUntil(async () => {
    const messenger = await temporal.client.workflow.start(RELEASE_SLACK_WORKFLOW_TYPE, { workflowId: messengerId, taskQueue, args: [{ channel: '#deploys', afterFinalMs: 50 }] });
    await hand([{ seq: 1, kind: 'post', message: message('Waiting for approval') }]);
    await hand([{ seq: 2, kind: 'update', message: message('Canary 10%') }]);
    // The update's turn is a second off; a newer state handed over meanwhile is what goes when it comes back.
    await asked(3);
    await hand([{ seq: 3, kind: 'update', message: message('Canary 30%') }]);
    await asked(4);
    await hand([{ seq: 4, kind: 'update', message: message('Canary 60%') }]);
    // This one's turn is ten minutes off: the final goes now, and the update waiting for its turn never does.
    await asked(5);
    await expect(hand([{ seq: 5, kind: 'final', message: message('Released to production') }], true)).resolves.toEqual({ failures: [] });
    expect(sent).toEqual(['post Waiting for approval', 'update Canary 30%', 'final Released to production']);
    await messenger.result();

    // Each call that came back asked with the turn it had been told; the final asked for its own.
    expect(asks.map((a) => [a.send, a.turnAtMs !== undefined])).toEqual([
      ['post', false],
      ['post', true],
      ['update', false],
      ['update', true],
      ['update', false],
      ['update', false],
    ]);
    expect(asks[5]).toMatchObject({ send: 'update', final: true });
    // The waits were timers in the messenger's history (the ten-minute one cancelled by the final), not activities heartbeating.
    const events = (await messenger.fetchHistory()).events!;
    const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;
    // Its other timers: the 50 ms stay after the final, and the 30-day quiet-spell limit while it waits for a hand-over.
    const turnTimers = events.flatMap((e) => (e.timerStartedEventAttributes ? [{ id: e.timerStartedEventAttributes.timerId, s: seconds(e.timerStartedEventAttributes.startToFireTimeout) }] : [])).filter((t) => t.s > 0.1 && t.s < 3600);
    expect(turnTimers.map((t) => (t.s <= 1 ? 'a second' : t.s > 500 ? 'ten minutes' : t.s))).toEqual(['a second', 'a second', 'ten minutes']);
    expect(events.filter((e) => e.timerCanceledEventAttributes?.timerId === turnTimers[2]!.id)).toHaveLength(1);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendSlackInTurn')).toHaveLength(6);
    recordHistory(messenger.workflowId, 'slack-messenger-turns');
  });
});

it('sends a reply at once while an update waits for its turn on the other line, and keeps the update waiting for it', async () => {
  const taskQueue = uniqueId('slack-messenger');
  const sent: string[] = [];
  const asks: SlackInTurnInput[] = [];
  // The update (the second call) is told its turn is ten minutes off; everything else goes.
  const turn = (input: SlackInTurnInput): SlackTurnAnswer => {
    asks.push(input);
    return asks.length === 2 ? { go: false, turnAtMs: Date.now() + 600_000, comeBackAtMs: Date.now() + 600_000, promisedUntilMs: Date.now() + 600_000 } : { go: true };
  };
  const activities = { ...recordingSlack(sent), sendSlackInTurn: slackInTurn(recordingSlack(sent), turn), awaitRunClosed: createLaneActivities({ temporal: temporal.client }).awaitRunClosed };
  const { hand, messengerId } = releaseRun(taskQueue);
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities });
  await worker.runUntil(async () => {
    const messenger = await temporal.client.workflow.start(RELEASE_SLACK_WORKFLOW_TYPE, { workflowId: messengerId, taskQueue, args: [{ channel: '#deploys', afterFinalMs: 50 }] });
    await hand([{ seq: 1, kind: 'post', message: message('Waiting for approval') }]);
    await hand([{ seq: 2, kind: 'update', message: message('Canary 10%') }]);
    for (let i = 0; i < 100 && asks.length < 2; i++) await sleep(100);
    // A reply is on the channel's line, not the updates': it goes now, with no turn of its own to claim.
    // (Handed over without waiting until sent: that waits for everything, the update too.)
    await hand([{ seq: 3, kind: 'reply', what: 'reminding', text: 'still baking' }]);
    for (let i = 0; i < 100 && sent.length < 2; i++) await sleep(100);
    expect(sent).toEqual(['post Waiting for approval', 'reply still baking']);
    expect(asks[2]).toMatchObject({ send: 'reply' });
    expect(asks[2]!.turnAtMs).toBeUndefined();
    // The update still waits for its turn: nothing more is asked until the final overtakes it.
    await sleep(500);
    expect(asks).toHaveLength(3);
    await expect(hand([{ seq: 4, kind: 'final', message: message('Released to production') }], true)).resolves.toEqual({ failures: [] });
    expect(sent).toEqual(['post Waiting for approval', 'reply still baking', 'final Released to production']);
    await messenger.result();
  });
});
