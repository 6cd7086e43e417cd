/**
 * Operator controls on a real dev server with fake activities: pause holds the weight (the
 * bake clock stops), resume continues, promote skips the remaining steps, abort rolls back;
 * each is recorded with who and why, and a control that makes no sense now is refused.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { abortUpdate, approveUpdate, pauseUpdate, promoteUpdate, resumeUpdate, statusQuery } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

const canaryUpdates = (fake: ReturnType<typeof createFakeActivities>) =>
  fake.calls
    .filter((c) => c.name === 'updateService' && (c.input as { service: string }).service === 'checkout-canary')
    .map((c) => (c.input as { desiredCount?: number }).desiredCount);

async function startApproved(taskQueue: string, bakeMs: number) {
  const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ canary: { bakeMs } })));
  await untilStage(handle, 'awaiting-approval');
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  await untilStatus(handle, (s) => s.canary.step === 1, 'canary step 1');
  return handle;
}

describe('operator controls', () => {
  it('pause holds the current weight past the bake; resume continues to production', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, 1500);
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'checking dashboards' }] });
      // Well past the 1.5 s bake, the canary is still at its first step.
      await new Promise((r) => setTimeout(r, 3000));
      const held = await handle.query(statusQuery);
      expect(held).toMatchObject({ stage: 'canary', paused: true, canary: { step: 1, weight: 10 } });
      expect(canaryUpdates(fake)).toEqual([1]);
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([
      expect.objectContaining({ action: 'pause', by: 'bob', reason: 'checking dashboards' }),
      expect.objectContaining({ action: 'resume', by: 'bob' }),
    ]);
    expect(canaryUpdates(fake)).toEqual([1, 4, 14, 0]);
  });

  it('promote skips the remaining steps', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, 60_000);
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice', reason: 'hotfix' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(canaryUpdates(fake)).toEqual([1, 0]);
    expect(outcome.status.history.map((e) => e.message)).toContain('promote by alice: hotfix');
  });

  it('abort rolls back at once: canary to 0, production and staging restored', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startApproved(taskQueue, 60_000);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'bob', reason: 'error budget burning' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by bob: error budget burning' });
    expect(canaryUpdates(fake)).toEqual([1, 0]);
    expect(fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
  });

  it('refuses controls that make no sense now, and strangers, with the reason', async () => {
    const fake = createFakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);
      expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice' }] }))).toBe(
        'pause refused: only a canary can be paused (stage: awaiting-approval)',
      );
      expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: 'mallory' }] }))).toBe(
        'abort refused: mallory may not abort releases (allowed: alice, bob)',
      );
      // Abort before approval is allowed and rolls staging back.
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'alice' }] });
      expect(await releaseOutcome(handle)).toMatchObject({ result: 'rolled-back', reason: 'aborted by alice' });
    });
  });
});
