/**
 * Slack under load (issue 20), on a real dev server:
 * - a release's final state does not wait behind an update stuck in Slack's pace: its messenger
 *   (workflows/release-slack-messenger.ts) withdraws the update when the final is handed over (and
 *   waits until its activity has stopped, so it cannot land after the final);
 * - many releases announcing in one channel through the real Slack activities and client, against
 *   the Slack emulator with Slack's limits turned on: every release's message ends in its final
 *   state, one worker pacing itself is never refused, two workers sharing the installation's Slack
 *   budget are never refused either, and two workers' pacers that together go too fast (no shared
 *   budget) are refused (429) and wait out Slack's Retry-After without losing a final state.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ReleaseActivities } from '../../activities';
import { createSlackActivities, type SlackActivities } from '../../activities/slack';
import { createSlackPacer, type SlackPace } from '../../activities/slack-pacer';
import { approveUpdate } from '../../src/domain/release-api';
import { slackBudgetWorkflowId } from '../../src/domain/slack-budget-api';
import { releaseSlackWorkflowId } from '../../src/slack/release-slack-api';
import { type Sandbox, type SlackMessage, startSandbox } from '../../src/sandbox';
import { createSlackClient } from '../../src/sdk-clients/slack';
import { releaseOutcome } from '../../src/release-client/outcome';
import type { ReleaseMessage } from '../../src/slack/release-message';
import { createFakeActivities, withSlackInTurn } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { testNativeConnection, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage } from '../support/workflow-runner';
import { recordHistory } from '../support/record-history';

const temporal = useTestClient();

/** A worker for its own task queue; cancellation reaches a waiting activity within half a second (its next heartbeat). */
async function withWorker<T>(activities: ReleaseActivities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('slack-load');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities, maxHeartbeatThrottleInterval: '500ms' });
  return worker.runUntil(fn(taskQueue));
}

async function approveAll(handles: WorkflowHandle[]): Promise<void> {
  for (const handle of handles) await untilStage(handle, 'awaiting-approval');
  for (const handle of handles) await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
}

it('the final state withdraws an update still waiting for its turn with Slack, and lands last', async () => {
  const fake = createFakeActivities({ laneFree: true });
  const sent: Array<{ headline: string; final: boolean }> = [];
  let withdrawn = 0;
  // Updates other than the final one wait as if behind hundreds of others on Slack's pace, until withdrawn.
  const stuckInLine = async (input: { message: ReleaseMessage; final?: boolean }): Promise<void> => {
    if (input.final) {
      sent.push({ headline: input.message.headline, final: true });
      return;
    }
    const ctx = Context.current();
    const beating = setInterval(() => ctx.heartbeat(), 100);
    try {
      await new Promise((_resolve, reject) => ctx.cancellationSignal.addEventListener('abort', () => reject(ctx.cancellationSignal.reason), { once: true }));
    } catch (err) {
      withdrawn++;
      throw err;
    } finally {
      clearInterval(beating);
    }
  };
  const outcome = await withWorker(withSlackInTurn({ ...fake.activities, updateReleaseMessage: stuckInLine }), async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan()));
    await approveAll([handle]);
    const released = await releaseOutcome(handle);
    // The release hands its items over; its run's messenger sends them and withdraws the stuck update.
    recordHistory(handle.workflowId, 'released-through-slack-messenger');
    if (process.env.RUNWAY_RECORD_HISTORIES === '1') recordHistory(releaseSlackWorkflowId(handle.workflowId, (await handle.describe()).runId), 'slack-messenger-withdrawing-update');
    return released;
  });
  expect(outcome.result).toBe('released');
  expect(withdrawn).toBe(1);
  expect(sent).toEqual([{ headline: 'Released to production', final: true }]);
  // Withdrawn is not failed: the release records no Slack failure.
  expect(outcome.status.history.map((e) => e.message).join('\n')).not.toMatch(/Slack message failed/);
});

describe('many releases announcing in one channel, with Slack’s limits on', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, services: [] });
  });
  afterEach(async () => sandbox.close());

  // Slack's limits made faster so the test is short: posts 4 a second per channel, 240 updates a minute.
  const LIMITS = { postIntervalMsPerChannel: 250, updatesPerMinute: 240 };
  const slackActivities = (pace: SlackPace, shared: boolean) =>
    createSlackActivities({
      slack: createSlackClient({ SLACK_BOT_TOKEN: 'xoxb-load-test', SLACK_API_URL: `${sandbox.url}/slack/api/` }),
      pacer: createSlackPacer({ pace }),
      ...(shared ? { temporal: temporal.client } : {}),
    });
  const limited = () => (sandbox.state() as { slack: { rateLimited: { accepted: number; refused: number } } }).slack.rateLimited;
  /** Each release's own message (not its thread replies), by release id. */
  const finalTexts = () => {
    const byRelease = new Map<string, string>();
    for (const message of (sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages) {
      const id = (message.metadata as { event_payload?: { release_id?: string } } | undefined)?.event_payload?.release_id;
      if (id && !message.thread_ts) byRelease.set(id, message.text ?? '');
    }
    return byRelease;
  };

  /**
   * Slack activities as `workers` workers have them, each with its own pacer, taking calls in turn
   * (one worker process per task queue is all the SDK allows in one process).
   */
  function slackOfWorkers(workers: number, pace: SlackPace, shared: boolean): SlackActivities {
    const sets = Array.from({ length: workers }, () => slackActivities(pace, shared));
    let turn = 0;
    const next = () => sets[turn++ % sets.length]!;
    return {
      postReleaseMessage: (input) => next().postReleaseMessage(input),
      updateReleaseMessage: (input) => next().updateReleaseMessage(input),
      postThreadReply: (input) => next().postThreadReply(input),
      sendSlackInTurn: (input) => next().sendSlackInTurn(input),
    };
  }

  async function releaseMany(count: number, workers: number, pace: SlackPace, { shared = false } = {}): Promise<string[]> {
    const fake = createFakeActivities({ laneFree: true });
    return withWorker({ ...fake.activities, ...slackOfWorkers(workers, pace, shared) }, async (taskQueue) => {
      const handles = await Promise.all(Array.from({ length: count }, () => startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan()))));
      await approveAll(handles);
      const outcomes = await Promise.all(handles.map((h) => releaseOutcome(h)));
      expect(outcomes.map((o) => o.result)).toEqual(handles.map(() => 'released'));
      if (shared) recordHistory(slackBudgetWorkflowId(taskQueue), 'slack-budget-two-workers');
      return handles.map((h) => h.workflowId);
    });
  }

  it('one worker pacing itself: every message ends in its final state and Slack refuses nothing', async () => {
    sandbox.setScenario({ slack: { rateLimits: LIMITS } });
    const ids = await releaseMany(12, 1, LIMITS);
    const texts = finalTexts();
    expect(ids.filter((id) => /Released to production/.test(texts.get(id) ?? ''))).toEqual(ids);
    expect(limited().refused).toBe(0);
    expect(limited().accepted).toBeGreaterThanOrEqual(2 * ids.length);
  });

  it("two workers sharing the installation's Slack budget: together within Slack's limits, none refused, every state final", async () => {
    // Each worker's own pace is the whole allowance; only the shared budget keeps them to it together.
    sandbox.setScenario({ slack: { rateLimits: { ...LIMITS, updatesPerMinute: 30 } } });
    const ids = await releaseMany(6, 2, { ...LIMITS, updatesPerMinute: 30 }, { shared: true });
    const texts = finalTexts();
    expect(ids.filter((id) => /Released to production/.test(texts.get(id) ?? ''))).toEqual(ids);
    expect(limited().refused).toBe(0);
  });

  it("two workers together too fast for Slack: refused calls wait out Slack's Retry-After and no final state is lost", async () => {
    // Each worker paces itself to the whole allowance, so together they ask for twice what Slack takes.
    sandbox.setScenario({ slack: { rateLimits: { ...LIMITS, updatesPerMinute: 30 } } });
    const ids = await releaseMany(6, 2, { ...LIMITS, updatesPerMinute: 30 });
    const texts = finalTexts();
    expect(ids.filter((id) => /Released to production/.test(texts.get(id) ?? ''))).toEqual(ids);
    expect(limited().refused).toBeGreaterThan(0);
  });
});
