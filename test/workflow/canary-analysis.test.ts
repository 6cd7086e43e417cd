/**
 * Canary analysis in the release workflow, on a real dev server with fake activities whose bake
 * windows the test scripts: a failing window rolls back (canary to 0 first) and names the
 * signal; inconclusive analysis holds the canary for a human, and silence rolls back; promote is
 * refused while the latest measurement fails; a pause hands back the window's measurements.
 */
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { AnalyseBakeInput, BakeReport } from '../../activities/canary-analysis';
import { DEFAULT_THRESHOLDS, judgeMeasurement, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { CanaryAnalysisPlan, ReleaseOutcome } from '../../src/domain/release';
import { approveUpdate, pauseUpdate, promoteUpdate, resumeUpdate, statusQuery } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { SAMPLE_ANALYSIS, samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

const analysis: CanaryAnalysisPlan = SAMPLE_ANALYSIS;
const stable: TrackMetrics = { requests: 4500, errorRate: 0.001, p99Ms: 100 };
const measured = (canary: TrackMetrics, crashedTasks = 0) =>
  judgeMeasurement({ at: new Date().toISOString(), canary, stable, crashedTasks }, DEFAULT_THRESHOLDS);
const good = () => measured({ requests: 500, errorRate: 0.001, p99Ms: 105 });
const erroring = () => measured({ requests: 500, errorRate: 0.2, p99Ms: 105 });
const noData = () => measured({});

/** A bake window that lasts until cancelled (pause / promote) and then hands back what `results` gives then. */
async function windowUntilCancelled(results: () => BakeReport['results']): Promise<BakeReport> {
  try {
    for (;;) {
      await Context.current().sleep(200);
      Context.current().heartbeat();
    }
  } catch (err) {
    if (err instanceof CancelledFailure) return { results: results(), decision: { action: 'continue' }, interrupted: true };
    throw err;
  }
}

function plan(overrides: Partial<CanaryAnalysisPlan> = {}, bakeMs = 60_000) {
  return samplePlan({ canary: { steps: [10, 30, 60, 100], bakeMs, analysis: { ...analysis, ...overrides } } });
}

async function startApproved(taskQueue: string, p = plan()) {
  const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(p));
  await untilStage(handle, 'awaiting-approval');
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  return handle;
}

const canaryCounts = (fake: ReturnType<typeof createFakeActivities>) =>
  fake.calls
    .filter((c) => c.name === 'updateService' && (c.input as { service: string }).service === 'checkout-canary')
    .map((c) => (c.input as { desiredCount?: number }).desiredCount);

async function untilCalled(fake: ReturnType<typeof createFakeActivities>, name: string, times = 1): Promise<void> {
  for (let i = 0; i < 300 && fake.names().filter((n) => n === name).length < times; i++) await new Promise((r) => setTimeout(r, 50));
}

const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);

describe('canary analysis in the release', () => {
  it('rolls back when analysis fails: canary to 0 first, and the failing signal with its numbers in the status', async () => {
    const fake = createFakeActivities({
      analysis: (call) =>
        call === 1
          ? { results: [good(), good()], decision: { action: 'continue' } }
          : { results: [good(), erroring(), erroring()], decision: { action: 'fail', reason: '2 failed measurement(s) (limit 2)' } },
    });
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startApproved(taskQueue, plan({}, 100))))) as ReleaseOutcome;

    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^canary analysis failed at 30%: 2 failed measurement\(s\)/);
    expect(outcome.status.canary.failure).toEqual([{ signal: 'error-rate', detail: expect.stringMatching(/canary 20\.00% vs limit/) }]);
    // Step 1 and step 2 scaled the canary up; the first undo took it to 0 before anything else.
    expect(canaryCounts(fake)).toEqual([1, 4, 0]);
    const undoOrder = fake.calls.filter((c) => c.name === 'updateService').slice(-2).map((c) => (c.input as { service: string; cluster: string }).cluster + '/' + (c.input as { service: string }).service);
    expect(undoOrder).toEqual(['production/checkout-canary', 'staging/checkout']);
    // Every measurement is kept, per step, with the numbers behind the verdict.
    expect(outcome.status.canary.analysis).toEqual([
      { step: 1, weight: 10, measurements: [expect.objectContaining({ verdict: 'pass' }), expect.objectContaining({ verdict: 'pass' })] },
      {
        step: 2,
        weight: 30,
        measurements: [
          expect.objectContaining({ verdict: 'pass' }),
          expect.objectContaining({ verdict: 'fail', errorRate: 0.2, stableErrorRate: 0.001, notes: [expect.stringMatching(/^error-rate: canary 20\.00%/)] }),
          expect.objectContaining({ verdict: 'fail' }),
        ],
      },
    ]);
    // The bake window got the canary's task definition and the service's analysis plan.
    const bake = fake.calls.find((c) => c.name === 'analyseBake')!.input as AnalyseBakeInput;
    expect(bake).toMatchObject({ service: 'checkout', cluster: 'production', canaryService: 'checkout-canary', bakeMs: 100, analysis: { intervalMs: 100 } });
  });

  it('never steps up on a failing measurement: bakes again at the same weight, and failures add up over the canary', async () => {
    const fake = createFakeActivities({
      analysis: (call) =>
        call === 1
          ? { results: [good(), erroring()], decision: { action: 'continue' } }
          : { results: [erroring()], decision: { action: 'fail', reason: '2 failed measurement(s) (limit 2)' } },
    });
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startApproved(taskQueue, plan({}, 100))))) as ReleaseOutcome;
    expect(outcome.result).toBe('rolled-back');
    // Still at step 1 for the second bake; then the canary went to 0.
    expect(canaryCounts(fake)).toEqual([1, 0]);
    const windows = fake.calls.filter((c) => c.name === 'analyseBake').map((c) => c.input as AnalyseBakeInput);
    expect(windows.map((w) => [w.bakeMs, w.prior?.failures])).toEqual([
      [100, 0],
      [100, 1],
    ]);
    expect(outcome.status.history.map((e) => e.message)).toContain('the latest measurements at 10% do not allow stepping up: baking again');
  });

  it('holds the canary and asks a human when analysis is inconclusive; resume carries on to production', async () => {
    const fake = createFakeActivities({
      analysis: (call) =>
        call === 1
          ? { results: [noData(), noData(), noData()], decision: { action: 'ask-human', reason: '3 inconclusive measurement(s) in a row: no canary traffic data' } }
          : { results: [good()], decision: { action: 'continue' } },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, plan({}, 100));
      const held = await untilStatus(handle, (s) => s.canary.awaitingDecision !== undefined, 'a held canary');
      expect(held).toMatchObject({ stage: 'canary', paused: true, canary: { step: 1, awaitingDecision: expect.stringMatching(/no canary traffic data/) } });
      expect(canaryCounts(fake)).toEqual([1]);
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob', reason: 'traffic is low at night; numbers look fine' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.canary.awaitingDecision).toBeUndefined();
    expect(outcome.status.history.map((e) => e.message)).toContain('resume by bob: traffic is low at night; numbers look fine');
  });

  it('rolls back when nobody decides about a held canary within the decision timeout', async () => {
    const fake = createFakeActivities({
      analysis: () => ({ results: [noData(), noData(), noData()], decision: { action: 'ask-human', reason: '3 inconclusive measurement(s) in a row' } }),
    });
    const outcome = (await withWorker(fake.activities, async (taskQueue) =>
      releaseOutcome(await startApproved(taskQueue, plan({ decisionTimeoutMs: 1000 }, 100))),
    )) as ReleaseOutcome;
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: expect.stringMatching(/^no decision within 1 s after: 3 inconclusive/) });
    expect(canaryCounts(fake)).toEqual([1, 0]);
  });

  it('refuses promote while the latest measurement fails, and allows it once analysis passes', async () => {
    let verdicts = [erroring()];
    const fake = createFakeActivities({ analysis: (call) => (call === 1 ? { results: [erroring()], decision: { action: 'continue' } } : windowUntilCancelled(() => verdicts)) });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, plan({ failureLimit: 3 }, 100));
      // The first bake ended on a failure: the canary bakes again at 10 % instead of stepping up.
      await untilCalled(fake, 'analyseBake', 2);
      expect((await handle.query(statusQuery)).canary.step).toBe(1);
      expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice' }] }))).toBe(
        'promote refused: the latest canary measurement failed; promote once analysis passes, or abort',
      );
      // A pause ends the window and brings back its (passing) measurements; then promote is allowed.
      verdicts = [good(), good()];
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] });
      await untilStatus(handle, (s) => s.canary.analysis?.[0]?.measurements.length === 3, 'the second bake\'s measurements');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice', reason: 'numbers are good' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.canary.analysis?.[0]?.measurements.map((m) => m.verdict)).toEqual(['fail', 'pass', 'pass']);
    expect(canaryCounts(fake)).toEqual([1, 0]);
  });

  it('stops the bake clock while paused and keeps the interrupted window\'s measurements', async () => {
    const fake = createFakeActivities({
      analysis: (call) => (call === 1 ? windowUntilCancelled(() => [good()]) : { results: [good()], decision: { action: 'continue' } }),
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, plan({}, 60_000));
      await untilStatus(handle, (s) => s.canary.step === 1, 'canary step 1');
      // Pause once the window is measuring, so it has something to hand back.
      await untilCalled(fake, 'analyseBake');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] });
      const paused = await untilStatus(handle, (s) => (s.canary.analysis?.length ?? 0) > 0, 'measurements of the paused window');
      expect(paused).toMatchObject({ paused: true, canary: { step: 1 } });
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
      await untilStatus(handle, (s) => s.canary.step === 2, 'canary step 2');
      const canary = (await handle.query(statusQuery)).canary;
      await handle.terminate('test done');
      return canary;
    });
    const windows = fake.calls.filter((c) => c.name === 'analyseBake').map((c) => (c.input as AnalyseBakeInput).bakeMs);
    // The second window of step 1 only bakes what was left of the 60 s, not another 60 s.
    expect(windows[0]).toBe(60_000);
    expect(windows[1]).toBeLessThan(60_000);
    expect(outcome.analysis?.[0]?.measurements.length).toBeGreaterThanOrEqual(2);
  });
});
