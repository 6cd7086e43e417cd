/**
 * A release's history stays flat (issue 20): on the test server with fake activities, a released
 * 4-step release has as many events (give or take a workflow task or two, which timing moves)
 * whatever its bake length and however many
 * measurements each bake window takes (measurements live inside one activity per window), and a
 * release that waits longer for approval, with a reminder, has no more events than one approved
 * quickly. The longest release the config allows (MAX_CANARY_STEPS steps) stays far below
 * Temporal's 10,240-event warning, so no shape needs continue-as-new (README, "How big a release's
 * history gets").
 */
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
 * A released 4-step release had about 238 events before issue 20 (README, bench overhead); how
 * activities completing together share workflow tasks moves that by a few either way. Six more
 * since a release tells its lane it is leaving (the patch marker, the signal sent and delivered,
 * the workflow task that sees it delivered), so that its lane holds no activity while it waits.
 */
const FOUR_STEP_BOUND = 251;
/** Two workflow tasks (three events each) more or fewer: how timing alone moves a history's length. */
const WORKFLOW_TASK_JITTER = 6;
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
    const history = await handle.fetchHistory();
    return { result: outcome.result, events: history.events?.length ?? 0 };
  });
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
  expect(Math.abs(long.events - short.events)).toBeLessThanOrEqual(WORKFLOW_TASK_JITTER);
  expect(short.events).toBeLessThanOrEqual(FOUR_STEP_BOUND);
});

it('adds no events for a longer wait for approval with a reminder', async () => {
  const approval = { ...samplePlan().approval, reminderMs: 300 };
  const quick = await eventsOfRelease(samplePlan({ approval }), { approveAfterMs: 1_500 });
  const slow = await eventsOfRelease(samplePlan({ approval }), { approveAfterMs: 6_000 });
  // Both were reminded; the wait itself adds nothing (no polling while waiting).
  expect(Math.abs(slow.events - quick.events)).toBeLessThanOrEqual(WORKFLOW_TASK_JITTER);
});

it('keeps the longest release the config allows far below Temporal’s history warning', async () => {
  const steps = Array.from({ length: MAX_CANARY_STEPS }, (_, i) => Math.round(((i + 1) * 100) / MAX_CANARY_STEPS * 10) / 10);
  const longest = await eventsOfRelease(samplePlan({ canary: { steps } }));
  expect(longest.result).toBe('released');
  // Measured 2026-12-03: about 1,390 events, some 25 per step beyond the 4-step release's ~238 (README).
  expect(longest.events).toBeLessThan(TEMPORAL_WARNING_EVENTS / 4);
});
