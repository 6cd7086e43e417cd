/**
 * A release's history stays flat (issue 20): on the test server with fake activities, a released
 * 4-step release leaves exactly as many events of its own (everything but workflow task
 * bookkeeping, whose count timing moves) whatever its bake length and however many measurements
 * each bake window takes (measurements live inside one activity per window), and a release that
 * waits longer for approval, with a reminder, leaves no more than one approved quickly. The longest
 * release the config allows (MAX_CANARY_STEPS steps) stays far below Temporal's 10,240-event
 * warning, so no shape needs continue-as-new (README, "How big a release's history gets").
 */
import type { temporal as proto } from '@temporalio/proto';
import type { AnalyseBakeInput, BakeReport } from '../../activities/canary-analysis';
import { MAX_CANARY_STEPS } from '../../src/config/schema';
import type { ReleasePlan } from '../../src/domain/release';
import { approveUpdate } from '../../src/domain/release-api';
import { releaseOutcome } from '../../src/release-client/outcome';
import { bakeLikeTheRealWindow, createFakeActivities, passingBake } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

jest.setTimeout(180_000);

const temporal = useTestClient();
/**
 * The events a released 4-step release's own commands and their outcomes leave (activities scheduled,
 * started and completed, markers, search attributes, its Update, its word to its lane): 137 on
 * 2026-12-05, the same in every run; 142 since the messenger tells the release its final was sent
 * (`slack-sent-signal`: the patch's marker and search attribute, the wait's timer started and
 * cancelled, the signal), which spares each release an activity waiting behind Slack's pace; 144
 * since records are handed to the GitHub writer in the background (`github-records-in-background`:
 * the patch's marker and search attribute), so a writer that cannot take them holds no release.
 * Timing cannot move these; it only moves how many workflow tasks share them out.
 */
const FOUR_STEP_COMMAND_EVENTS = 144;
/**
 * The whole history: those events, plus three per workflow task (scheduled, started, completed), and
 * a release has at most one workflow task per thing that wakes it (35 activity completions, its
 * lane's answer, the approval Update, its messenger's word) plus its first. 144 + 3 × 39 = 261;
 * 245–248 measured before the messenger's word, 259 with it; the records' patch adds two to the
 * bound, no workflow task (its hand-overs wake the release no more often). A workflow task a
 * loaded server timed out and handed out again adds two events more, which no bound can promise;
 * those are left out of the count.
 */
const FOUR_STEP_BOUND = 261;
/** Temporal's history warning. */
const TEMPORAL_WARNING_EVENTS = 10_240;

/** Runs a release to the end, approving after `approveAfterMs`; its event count and result. */
async function eventsOfRelease(plan: ReleasePlan, options: { approveAfterMs?: number; analysis?: (call: number, input: AnalyseBakeInput) => BakeReport | Promise<BakeReport> } = {}) {
  const fake = createFakeActivities({ laneFree: true, ...(options.analysis ? { analysis: options.analysis } : {}) });
  return withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
    await untilStage(handle, 'awaiting-approval');
    if (options.approveAfterMs) await new Promise((r) => setTimeout(r, options.approveAfterMs));
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    const outcome = await releaseOutcome(handle);
    const events = (await handle.fetchHistory()).events ?? [];
    const commandEvents = events.filter((e) => !isWorkflowTaskEvent(e)).length;
    const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    // A workflow task the server timed out (a loaded machine) and tried again leaves two more events; not counted here.
    return { result: outcome.result, commandEvents, eventsBarRetriedTasks: commandEvents + 3 * workflowTasks };
  });
}

/** Workflow task bookkeeping: how many of these a history has depends on timing, not on the release. */
function isWorkflowTaskEvent(event: proto.api.history.v1.IHistoryEvent): boolean {
  return Boolean(
    event.workflowTaskScheduledEventAttributes ||
      event.workflowTaskStartedEventAttributes ||
      event.workflowTaskCompletedEventAttributes ||
      event.workflowTaskTimedOutEventAttributes ||
      event.workflowTaskFailedEventAttributes,
  );
}

/** A bake window that took `count` measurements, all passing (the real activity returns them all). */
const measured = (count: number) => async (_call: number, input: AnalyseBakeInput): Promise<BakeReport> => {
  await bakeLikeTheRealWindow(input.bakeMs);
  return { ...passingBake, results: Array.from({ length: count }, () => passingBake.results[0]!) };
};

it('has as many events whatever the bake length and the number of measurements, within the bound', async () => {
  const short = await eventsOfRelease(samplePlan({ canary: { bakeMs: 50 } }), { analysis: measured(1) });
  const long = await eventsOfRelease(samplePlan({ canary: { bakeMs: 3_000 } }), { analysis: measured(60) });
  expect([short.result, long.result]).toEqual(['released', 'released']);
  expect(long.commandEvents).toBe(short.commandEvents);
  expect(short.commandEvents).toBeLessThanOrEqual(FOUR_STEP_COMMAND_EVENTS);
  expect(short.eventsBarRetriedTasks).toBeLessThanOrEqual(FOUR_STEP_BOUND);
  expect(long.eventsBarRetriedTasks).toBeLessThanOrEqual(FOUR_STEP_BOUND);
});

it('adds no events for a longer wait for approval with a reminder', async () => {
  const approval = { ...samplePlan().approval, reminderMs: 300 };
  const quick = await eventsOfRelease(samplePlan({ approval }), { approveAfterMs: 1_500 });
  const slow = await eventsOfRelease(samplePlan({ approval }), { approveAfterMs: 6_000 });
  // Both were reminded; the wait itself adds nothing (no polling while waiting).
  expect(slow.commandEvents).toBe(quick.commandEvents);
});

it('keeps the longest release the config allows far below Temporal’s history warning', async () => {
  const steps = Array.from({ length: MAX_CANARY_STEPS }, (_, i) => Math.round(((i + 1) * 100) / MAX_CANARY_STEPS * 10) / 10);
  const longest = await eventsOfRelease(samplePlan({ canary: { steps } }));
  expect(longest.result).toBe('released');
  // Measured 2026-12-03: about 1,390 events, some 25 per step beyond the 4-step release's ~238 (README).
  expect(longest.eventsBarRetriedTasks).toBeLessThan(TEMPORAL_WARNING_EVENTS / 4);
});
