/**
 * The stages in their configurable forms, with fake activities on a real dev server: the
 * release-branch rule and a dispatched build whose image is deployed; a checks build with its
 * options; a migration before production that is never undone; a Slack reminder; a decision not
 * held up by a slow Slack; and a rollback that restores GitHub's previous deployments and
 * replies to the requester in the message's thread.
 */
import type { ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { approveUpdate } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker, approveAndFinish as approveAndFinishWith } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

type Fake = ReturnType<typeof createFakeActivities>;
const inputsOf = <T>(fake: Fake, name: string) => fake.calls.filter((c) => c.name === name).map((c) => c.input as T);

const approveAndFinish = (fake: Fake, plan: ReleasePlan) => approveAndFinishWith(temporal.client, fake.activities, plan);

describe('release stages', () => {
  it('checks the release branch, dispatches the build and deploys the image the build produced', async () => {
    const fake = createFakeActivities();
    const plan = samplePlan({
      releaseBranch: 'main',
      build: { mode: 'dispatch', workflow: 'build.yml', ref: 'main', imageOutput: '{{image}}-built', timeoutMs: 60_000 },
    });
    const outcome = await approveAndFinish(fake, plan);
    expect(outcome.result).toBe('released');
    expect(fake.names().slice(0, 3)).toEqual(['checkReleaseBranch', 'dispatchBuild', 'waitForBuild']);
    expect(fake.names()).not.toContain('verifyBuild');
    const built = inputsOf<{ image: string }>(fake, 'prepareTaskDefinition').map((i) => i.image);
    expect(built).toHaveLength(2);
    expect(built.every((image) => image.endsWith('-built'))).toBe(true);
    expect(outcome.status.image).toMatch(/-built$/);
    expect(outcome.status.history.map((e) => e.message)).toContain('build dispatched: build.yml run 42 https://github.com/acme/checkout/actions/runs/42');
  });

  it('verifies checks with the required checks and deadline of a checks build', async () => {
    const fake = createFakeActivities();
    await approveAndFinish(fake, samplePlan({ build: { mode: 'checks', requiredChecks: ['build', 'test'], pendingDeadlineMs: 5000 } }));
    expect(inputsOf(fake, 'verifyBuild')).toEqual([expect.objectContaining({ requiredChecks: ['build', 'test'], pendingDeadlineMs: 5000 })]);
  });

  it('runs the migration between approval and canary with the production task definition, and never undoes it', async () => {
    const fake = createFakeActivities({ failingDeployments: ['production/checkout-canary'] });
    const outcome = await approveAndFinish(fake, samplePlan({ migration: { command: ['npm', 'run', 'migrate'], container: 'app' } }));
    expect(outcome.result).toBe('rolled-back');
    const stages = [...new Set(outcome.status.history.map((e) => e.stage))];
    expect(stages).toEqual(['queued', 'building', 'staging', 'smoke', 'awaiting-approval', 'migrating', 'canary', 'rolling-back', 'rolled-back']);
    const productionTds = inputsOf<{ source: { service: string } }>(fake, 'prepareTaskDefinition').filter((i) => i.source.service === 'checkout');
    expect(productionTds).toHaveLength(2); // staging, then production once (the canary reuses the migration's)
    const [migration] = inputsOf<{ taskDefinition: string; command: string[]; cluster: string }>(fake, 'runMigration');
    expect(migration).toMatchObject({ cluster: 'production', command: ['npm', 'run', 'migrate'], taskDefinition: expect.stringMatching(/^td\/checkout-production:/) });
    const canaryTd = inputsOf<{ service: string; taskDefinition?: string }>(fake, 'updateService').find((u) => u.service === 'checkout-canary')!.taskDefinition;
    expect(canaryTd).toBe(migration!.taskDefinition);
    expect(fake.names().filter((n) => n === 'runMigration')).toHaveLength(1);
    expect(outcome.status.history.some((e) => /migration finished with exit code 0 .* it is not undone on rollback/.test(e.message))).toBe(true);
  });

  it('reminds approvers in the thread when nobody has decided by the reminder time', async () => {
    const fake = createFakeActivities();
    const outcome = await approveAndFinishAfter(fake, samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false, reminderMs: 300 } }));
    expect(outcome.result).toBe('released');
    expect(inputsOf<{ text: string; ts: string }>(fake, 'postThreadReply')).toEqual([
      expect.objectContaining({ ts: '1.0001', text: expect.stringMatching(/^Reminder: checkout \w+ is still waiting for approval \(alice, bob\)\.$/) }),
    ]);
  });

  it('moves on after a decision while the Slack post is still being retried', async () => {
    const fake = createFakeActivities({ slackPostDelayMs: 20_000 });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStatus(handle, (s) => s.stage === 'canary', 'canary');
      expect(fake.names()).not.toContain('postReleaseMessage:done');
      await handle.terminate('test done');
    });
  });

  it('on rollback restores the previous GitHub deployments and replies to the requester in the thread', async () => {
    const fake = createFakeActivities({ failingDeployments: ['production/checkout-canary'] });
    const outcome = await approveAndFinish(
      fake,
      samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false, requesterSlackId: 'U0CAROL' } }),
    );
    expect(outcome.result).toBe('rolled-back');
    expect(inputsOf<{ environment: string }>(fake, 'restorePreviousDeployment').map((i) => i.environment)).toEqual(['staging', 'production']);
    const [reply] = inputsOf<{ text: string }>(fake, 'postThreadReply');
    expect(reply!.text).toMatch(/^<@U0CAROL> your release of checkout \w+ was rolled back: deployment to production\/checkout-canary failed/);
  });
});

/** Like approveAndFinish, but approves only after the reminder has gone out. */
async function approveAndFinishAfter(fake: Fake, plan: ReleasePlan): Promise<ReleaseOutcome> {
  return withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
    await untilStatus(handle, (s) => s.history.some((e) => e.message === 'reminded the approvers in Slack'), 'the reminder');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    return await releaseOutcome(handle);
  });
}
