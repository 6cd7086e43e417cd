/**
 * The rollback of a finished release on a real dev server with fake activities: production goes
 * back to the target's task definition with the ECS verdicts of a promotion, once it holds the
 * service's lane, GitHub and Slack say so; an approval is asked only when the policy says so;
 * a target whose task definition is gone is refused before anything changes; a rollback whose
 * own deployment fails puts back what ran.
 */
import type { ReleaseOutcome } from '../../src/domain/release';
import { approveUpdate } from '../../src/domain/release-api';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { useTestClient } from '../support/temporal';
import { rollbackInput, startRollback, untilStage, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();
type Fake = ReturnType<typeof createFakeActivities>;
const inputsOf = <T>(fake: Fake, name: string) => fake.calls.filter((c) => c.name === name).map((c) => c.input as T);

describe('rollback of a finished release', () => {
  it("takes the service's lane (release-lanes.test.ts: preempting a release in flight), then puts production back on the target task definition and records it", async () => {
    const fake = createFakeActivities();
    const input = rollbackInput();
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startRollback(temporal.client, taskQueue, input)))) as ReleaseOutcome;
    expect(outcome).toMatchObject({ result: 'released', reason: 'production runs aaaaaaaaaaaa again (was bbbbbbbbbbbb)' });
    expect(fake.services.get('production/checkout')!.taskDefinition).toBe('td/checkout-production:0');
    expect(outcome.status.deployed).toEqual({ production: 'td/checkout-production:0' });
    // The lane, not a search for releases in flight, keeps it from racing a release.
    expect(fake.names()).not.toContain('stopReleasesInFlight');
    const history = outcome.status.history.map((e) => e.message);
    expect(history.indexOf('holds the checkout lane')).toBeGreaterThan(-1);
    expect(history.indexOf('holds the checkout lane')).toBeLessThan(history.findIndex((m) => m.startsWith('rolling production back')));
    // Staging is not touched: a rollback is about what runs in production.
    expect(inputsOf<{ cluster: string }>(fake, 'updateService').map((u) => u.cluster)).toEqual(['production']);
    // GitHub: a production deployment of the target version, marked successful.
    expect(inputsOf<{ ref: string; environment: string; inProgress: string }>(fake, 'createDeployment')).toEqual([
      expect.objectContaining({ ref: 'a'.repeat(40), environment: 'production', inProgress: 'rollback to aaaaaaaaaaaa' }),
    ]);
    expect(inputsOf<{ state: string }>(fake, 'setDeploymentStatus').map((s) => s.state)).toEqual(['success']);
    // Slack: a message saying so, without approval buttons, ending with the outcome.
    const [posted] = inputsOf<{ message: { headline: string; withButtons: boolean } }>(fake, 'postReleaseMessage');
    expect(posted!.message).toMatchObject({ headline: 'Rolling back checkout to aaaaaaaaaaaa', withButtons: false });
    expect(inputsOf<{ message: { headline: string } }>(fake, 'updateReleaseMessage').at(-1)!.message.headline).toBe('Rolled back to aaaaaaaaaaaa: errors after the release');
  });

  it('asks for approval first when the policy requires it', async () => {
    const fake = createFakeActivities();
    const input = rollbackInput(samplePlan({ rollback: { approval: 'required' } }));
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startRollback(temporal.client, taskQueue, input);
      await untilStage(handle, 'awaiting-approval');
      expect(fake.names()).not.toContain('updateService');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: 'alice' });
    expect(inputsOf<{ message: { withButtons: boolean } }>(fake, 'postReleaseMessage').map((p) => p.message.withButtons)).toEqual([true]);
  });

  it('refuses a target whose task definition is gone, naming it, before anything changes', async () => {
    const fake = createFakeActivities({ goneTaskDefinitions: ['td/checkout-production:0'] });
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startRollback(temporal.client, taskQueue, rollbackInput())))) as ReleaseOutcome;
    expect(outcome.result).toBe('rejected');
    expect(outcome.reason).toBe('rollback refused: the task definition release-checkout-aaaaaaaaaaaa ran, td/checkout-production:0, is INACTIVE and cannot run again');
    expect(fake.names()).not.toContain('updateService');
    expect(fake.names()).not.toContain('stopReleasesInFlight');
  });

  it('refuses when production does not run what the records say (the visibility store lags), changing nothing', async () => {
    const fake = createFakeActivities();
    const input = rollbackInput();
    input.from.taskDefinition = 'td/checkout-production:9';
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startRollback(temporal.client, taskQueue, input)))) as ReleaseOutcome;
    expect(outcome.result).toBe('rejected');
    expect(outcome.reason).toMatch(/^rollback refused: production runs td\/checkout-production:1, not td\/checkout-production:9 that release-checkout-/);
    expect(fake.names()).not.toContain('updateService');
  });

  it('puts back what ran when its own deployment fails', async () => {
    const fake = createFakeActivities({ failingDeployments: ['production/checkout'] });
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startRollback(temporal.client, taskQueue, rollbackInput(samplePlan(), 'td/checkout-production:7'))))) as ReleaseOutcome;
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/deployment to production\/checkout failed/);
    expect(fake.services.get('production/checkout')!.taskDefinition).toBe('td/checkout-production:1');
    expect(inputsOf<{ state: string }>(fake, 'setDeploymentStatus').map((s) => s.state)).toEqual(['failure']);
  });
});
