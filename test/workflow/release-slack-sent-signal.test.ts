/**
 * How a release waits for its last word in Slack (workflows/reporting/release-slack.ts, patch
 * `slack-sent-signal`, issue 20): its messenger tells it with a signal once the final update has
 * been sent, so no activity of the release waits (and heartbeats) behind Slack's pace meanwhile.
 * A messenger that never tells (terminated) costs the release its wait for the word, then the
 * release asks the way it did before the signal and ends, with what went wrong in its history.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { approveUpdate } from '../../src/domain/release-api';
import { releaseOutcome } from '../../src/release-client/outcome';
import type { ReleaseMessage } from '../../src/slack/release-message';
import { releaseSlackWorkflowId } from '../../src/slack/release-slack-api';
import { createFakeActivities, withSlackInTurn } from '../support/fake-activities';
import { recordHistory } from '../support/record-history';
import { samplePlan } from '../support/sample-plan';
import { useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

jest.setTimeout(90_000);

const temporal = useTestClient();
const EventType = proto.api.enums.v1.EventType;
type HistoryEvent = proto.api.history.v1.IHistoryEvent;

/** How long the final update takes to reach Slack here: as if behind other releases' updates on Slack's pace. */
const FINAL_TAKES_MS = 3000;

async function approve(handle: WorkflowHandle): Promise<void> {
  await untilStage(handle, 'awaiting-approval');
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
}

/** The `handSlackItemsOver` activities of a release's history: what each was handed, and when it was scheduled and answered. */
function handOvers(events: HistoryEvent[]) {
  const decode = (data?: Uint8Array | null) => JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { items: { kind: string }[]; untilSent?: boolean; tellWhenSent?: boolean };
  const completedAt = new Map<number, number>();
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) completedAt.set(Number(e.activityTaskCompletedEventAttributes!.scheduledEventId), eventMs(e));
  }
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'handSlackItemsOver')
    .map((e) => {
      const input = decode(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data);
      return { kinds: input.items.map((i) => i.kind), untilSent: input.untilSent === true, tellWhenSent: input.tellWhenSent === true, answeredAtMs: completedAt.get(Number(e.eventId)) };
    });
}

function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
}

it('is told by its messenger once its final update is sent: no hand-over waits for Slack, and the release closes after the final has landed', async () => {
  const fake = createFakeActivities({ laneFree: true });
  let finalLandedAtMs = 0;
  const slowFinal = async (input: { message: ReleaseMessage; final?: boolean }): Promise<void> => {
    if (!input.final) return;
    await Context.current().sleep(FINAL_TAKES_MS);
    finalLandedAtMs = Date.now();
  };
  const { handle, outcome } = await withWorker(withSlackInTurn({ ...fake.activities, updateReleaseMessage: slowFinal }), async (taskQueue) => {
    const h = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan()));
    await approve(h);
    const released = await releaseOutcome(h);
    recordHistory(h.workflowId, 'released-told-by-slack-messenger');
    if (process.env.RUNWAY_RECORD_HISTORIES === '1') recordHistory(releaseSlackWorkflowId(h.workflowId, (await h.describe()).runId), 'slack-messenger-telling-release');
    return { handle: h, outcome: released };
  });
  expect(outcome.result).toBe('released');
  const { events } = await handle.fetchHistory();
  const finals = handOvers(events!).filter((h) => h.kinds.includes('final'));
  // Handed over once, answered when taken, before Slack had the final; nothing waited until sent.
  expect(finals).toEqual([expect.objectContaining({ tellWhenSent: true, untilSent: false })]);
  expect(finals[0]!.answeredAtMs).toBeLessThan(finalLandedAtMs);
  expect(handOvers(events!).filter((h) => h.untilSent)).toEqual([]);
  // The messenger's word, and the release closing only after the final landed.
  expect(events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'releaseSlackSent')).toHaveLength(1);
  expect(eventMs(events![events!.length - 1]!)).toBeGreaterThanOrEqual(finalLandedAtMs);
});

it('ends all the same when its messenger is terminated before telling: after its wait for the word it asks again, and records what was lost', async () => {
  const fake = createFakeActivities({ laneFree: true });
  let messengerId = '';
  // The final never reaches Slack: an operator terminates the messenger while it is being sent.
  const finalMeetsTermination = async (input: { message: ReleaseMessage; final?: boolean }): Promise<void> => {
    if (!input.final) return;
    await temporal.client.workflow.getHandle(messengerId).terminate('test: an operator terminates the Slack messenger');
    await Context.current().sleep(60_000);
  };
  const outcome = await withWorker(withSlackInTurn({ ...fake.activities, updateReleaseMessage: finalMeetsTermination }), async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, { ...releaseInput(samplePlan()), slackSentWordWaitMs: 1000 });
    messengerId = releaseSlackWorkflowId(handle.workflowId, (await handle.describe()).runId);
    await approve(handle);
    return releaseOutcome(handle);
  });
  expect(outcome.result).toBe('released');
  expect(outcome.status.history.map((e) => e.message).join('\n')).toMatch(/the Slack messenger .*:slack:.* had ended without finishing/);
});
