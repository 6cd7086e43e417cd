/**
 * The release workflow against a real Temporal dev server with fake activities: every path a
 * release can take, and the approval policy enforced through Updates and signals.
 */
import { ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { RELEASE_NOT_RELEASED, type ReleaseOutcome } from '../../src/domain/release';
import { approveSignal, approveUpdate, rejectUpdate, stageSearchAttribute, statusQuery } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

describe('release workflow', () => {
  it('goes through every stage to production once approved', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      const ack = await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', comment: 'ship it' }] });
      expect(ack).toMatchObject({ decision: 'approved', by: 'alice' });
      const result = await releaseOutcome(handle);
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(stageSearchAttribute)).toBe('released');
      return result;
    });
    expect(outcome.result).toBe('released');
    const stages = [...new Set(outcome.status.history.map((e) => e.stage))];
    expect(stages).toEqual(['queued', 'building', 'staging', 'smoke', 'awaiting-approval', 'canary', 'promoting', 'released']);
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'ship it' });
    expect(outcome.status.canary).toMatchObject({ step: 4, weight: 100 });
    // Canary steps 10/30/60 with 9 stable tasks: 1, 4, 14 canary tasks; then promotion and canary to 0.
    const updates = fake.calls.filter((c) => c.name === 'updateService').map((c) => c.input as { service: string; desiredCount?: number });
    expect(updates.map((u) => `${u.service}:${u.desiredCount ?? '-'}`)).toEqual([
      'checkout:-',
      'checkout-canary:1',
      'checkout-canary:4',
      'checkout-canary:14',
      'checkout:-',
      'checkout-canary:0',
    ]);
    expect(fake.names()).toContain('postReleaseMessage');
  });

  it('ends a release that did not reach production as a failed workflow carrying its outcome', async () => {
    const fake = createFakeActivities({ smokeFails: true });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      // The Web UI, `temporal workflow list` and ExecutionStatus queries see it failed, with the outcome as the message.
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause.type).toBe(RELEASE_NOT_RELEASED);
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toMatch(/^rolled-back: smoke check 1\/2/);
      expect((await handle.describe()).status.name).toBe('FAILED');
      // Clients read the same outcome a completed release returns.
      const outcome = await releaseOutcome(handle);
      expect(outcome).toMatchObject({ result: 'rolled-back', status: { stage: 'rolled-back', result: 'rolled-back' } });
      expect(outcome.reason).toBe(cause.message.replace(/^rolled-back: /, ''));
      let listed = 0;
      for (let i = 0; i < 50 && listed === 0; i++) {
        for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Failed'` })) listed++;
        if (listed === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(listed).toBe(1);
    });
  });

  it('rolls staging back when the smoke test fails', async () => {
    const fake = createFakeActivities({ smokeFails: true });
    const outcome = await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startReleaseWorkflow(temporal.client, taskQueue, releaseInput())));
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/smoke check 1\/2/);
    expect(fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
    expect(fake.names()).not.toContain('postReleaseMessage');
    // Created in progress, then marked failed.
    expect(fake.calls.filter((c) => c.name === 'createDeployment').map((c) => (c.input as { inProgress?: string }).inProgress)).toEqual([
      expect.stringMatching(/ deploying$/),
    ]);
    expect(fake.calls.filter((c) => c.name === 'setDeploymentStatus').map((c) => (c.input as { state: string }).state)).toEqual(['failure']);
  });

  it('rolls staging back when rejected', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(rejectUpdate, { args: [{ by: 'bob', reason: 'freeze' }] });
      return releaseOutcome(handle);
    });
    expect(outcome).toMatchObject({ result: 'rejected', reason: 'freeze' });
    expect(fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
    // Production was never touched: nothing read, prepared or changed there.
    const production = fake.calls.filter((c) => /"(cluster|environment)":"production"/.test(JSON.stringify(c.input)));
    expect(fake.calls.some((c) => /"cluster":"staging"/.test(JSON.stringify(c.input)))).toBe(true);
    expect(production).toEqual([]);
  });

  it('refuses an approver who is not allowed and keeps waiting', async () => {
    const fake = createFakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      const refused = handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] });
      await expect(refused).rejects.toThrow(WorkflowUpdateFailedError);
      await refused.catch((err: WorkflowUpdateFailedError) =>
        expect((err.cause as Error).message).toBe('approval refused: mallory is not an allowed approver (allowed: alice, bob)'),
      );
      // The requester may not approve their own release either.
      await expect(handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] })).rejects.toThrow(WorkflowUpdateFailedError);
      // A refused signal cannot answer its sender: it is recorded in the status instead.
      await handle.signal(approveSignal, { by: 'eve' });
      let status = await handle.query(statusQuery);
      for (let i = 0; i < 50 && status.approval.refused.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await handle.query(statusQuery);
      }
      expect(status.stage).toBe('awaiting-approval');
      expect(status.approval.refused).toEqual([expect.objectContaining({ by: 'eve', reason: expect.stringMatching(/not an allowed approver/) })]);
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      const outcome = await releaseOutcome(handle);
      expect(outcome.result).toBe('released');
      expect(outcome.status.approval.by).toBe('bob');
    });
  });

  it('rejects when nobody decides before the approval timeout', async () => {
    const fake = createFakeActivities();
    const plan = samplePlan({ approval: { ...samplePlan().approval, timeoutMs: 1500 } });
    const outcome = await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan))));
    expect(outcome.result).toBe('rejected');
    expect(outcome.reason).toMatch(/no decision within 2 s|no decision within 1 s/);
    expect(outcome.status.approval.by).toBe('runway');
  });

  it('takes the canary to 0 first, then restores production and staging, when promotion fails', async () => {
    const fake = createFakeActivities({ failingDeployments: ['production/checkout'] });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      return releaseOutcome(handle);
    });
    expect(outcome.result).toBe('rolled-back');
    const undone = (outcome as ReleaseOutcome).status.history.filter((e) => e.message.startsWith('undone:')).map((e) => e.message);
    expect(undone).toEqual([
      expect.stringMatching(/^undone: take the canary .* to 0 tasks/),
      expect.stringMatching(/^undone: restore production/),
      expect.stringMatching(/^undone: restore staging/),
    ]);
    expect(fake.services.get('production/checkout-canary')!.desiredCount).toBe(0);
    expect(fake.services.get('production/checkout')!.taskDefinition).toBe('td/checkout-production:1');
    expect(fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
  });

  it('rolls back when cancelled, even though the cancellation reaches every scope', async () => {
    // Slack is still answering the approval request when the cancel comes.
    const fake = createFakeActivities({ slackPostDelayMs: 2000 });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      const status = await handle.query(statusQuery);
      expect(status.stage).toBe('rolled-back');
      expect(status.outcomeReason).toBe('the release was cancelled');
    });
    expect(fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
    // The approval request, even if Slack was still answering when the cancel came, ends up saying so.
    const updates = fake.calls.filter((c) => c.name === 'updateReleaseMessage').map((c) => (c.input as { message: { headline: string } }).message.headline);
    expect(updates.at(-1)).toBe('Rolled back: the release was cancelled');
  });
});
