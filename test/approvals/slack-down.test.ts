/**
 * Slack is informative, never in the way: with the Slack API down, the real release workflow
 * retries its notification, records the failure, and a release approved from the CLI path (the
 * same Update `runway approve` sends) still reaches production.
 */
import { decideRelease } from '../../src/release-client/releases';
import { ALICE, type ApprovalsRig, startApprovalsRig } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

describe('Slack down', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig();
  });
  afterAll(async () => rig.stop());

  it('retries the notification, records its failure, and the CLI approval still releases', async () => {
    rig.sandbox.setScenario({ slack: { down: true } });
    const handle = await rig.startAwaitingRelease({}, { waitForMessage: false });
    // Accepted while the notification is still being retried: Slack never holds the decision up.
    expect(await decideRelease(rig.client, handle.workflowId, 'approve', ALICE, 'from the CLI')).toMatchObject({ decision: 'approved', by: ALICE });

    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.history.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^posting the approval request to Slack failed \(release continues\): .*HTTP 503/),
    );
    // Every attempt reached the (down) Slack API: the activity was retried, not given up at once.
    const attempts = rig.sandbox.calls().slack.filter((c) => c.operation === 'conversations.list' && c.status === 503);
    expect(attempts.length).toBeGreaterThan(1);
    expect(rig.sandbox.calls().slack.filter((c) => c.operation === 'chat.postMessage')).toEqual([]);
  });
});
