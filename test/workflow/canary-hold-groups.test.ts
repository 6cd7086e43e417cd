/**
 * Canary controls under the approval policy, on a real dev server with fake activities: a
 * service approved only through a Slack user group (`approvers: []`) has its held canary resumed
 * by a member of that group, through the resume Update carrying the Slack origin, while an
 * outsider and the requester are refused with the policy's reason. The Slack message carries
 * Resume / Promote / Roll back buttons while the canary is held, and loses them after.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveUpdate, type ControlRequest, resumeUpdate } from '../../src/domain/release-api';
import type { ReleaseMessage } from '../../src/slack/release-message';
import { useTestClient } from '../support/temporal';
import { createFakeActivities, passingBake } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilFakeCall, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

const DEPLOYERS = 'S0DEPLOYERS';
/** A click's origin as the approvals server sends it: the Slack user and the configured groups it found them in. */
const fromSlack = (user: string, groups: string[] = []): ControlRequest => ({ by: user, slackUserId: user, ...(groups.length ? { groups } : {}) });
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);

describe('a held canary of a service approved through a Slack group', () => {
  it('is resumed by a group member through the control Update; outsiders and the requester are refused', async () => {
    const fake = createFakeActivities({
      // The first bake window cannot judge the canary: it asks a human. Every later one passes.
      analysis: (call) => (call === 1 ? { results: [], decision: { action: 'ask-human', reason: '3 inconclusive measurement(s) in a row: no canary traffic data' } } : passingBake),
    });
    // carol requests the release; her Slack id is known, so a group member can be told apart from her.
    const plan = samplePlan({
      approval: { ...samplePlan().approval, approvers: [], groups: [DEPLOYERS], requesterSlackId: 'U_CAROL' },
      canary: { bakeMs: 100 },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [fromSlack('U_DAVE', [DEPLOYERS])] });
      await untilStatus(handle, (s) => s.canary.awaitingDecision !== undefined, 'a held canary');

      expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [fromSlack('U_MALLORY')] }))).toBe(
        `resume refused: U_MALLORY may not resume releases (allowed: members of ${DEPLOYERS})`,
      );
      // A group the service does not configure grants nothing.
      expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [fromSlack('U_MALLORY', ['S0OTHERS'])] }))).toMatch(/^resume refused: U_MALLORY may not resume/);
      // The requester is a member too, but resuming a held canary is approving what analysis could not show.
      expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [fromSlack('U_CAROL', [DEPLOYERS])] }))).toBe(
        'resume refused: U_CAROL requested this release and self-approval is not allowed (resuming a held canary counts as approving)',
      );
      expect((await untilStatus(handle, (s) => s.stage === 'canary')).canary.awaitingDecision).toBeDefined();

      // Dave clicks Resume on the held message, so Slack has it (the messenger sends the newest update only).
      await untilFakeCall<{ message: ReleaseMessage }>(fake, 'updateReleaseMessage', (u) => u.message.withCanaryButtons === true, 'the held message');
      const ack = await handle.executeUpdate(resumeUpdate, { args: [{ ...fromSlack('U_DAVE', [DEPLOYERS]), reason: 'via Slack' }] });
      expect(ack).toMatchObject({ action: 'resume', by: 'U_DAVE' });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([expect.objectContaining({ action: 'resume', by: 'U_DAVE', reason: 'via Slack' })]);

    // The message had the canary's buttons while it was held, and the updates after the hold have none.
    const updates = fake.calls.filter((c) => c.name === 'updateReleaseMessage').map((c) => (c.input as { message: ReleaseMessage }).message);
    const heldAt = updates.findIndex((m) => m.withCanaryButtons);
    expect(updates[heldAt]?.headline).toMatch(/^Canary held at 10%/);
    expect(updates.slice(heldAt + 1).length).toBeGreaterThan(0);
    expect(updates.slice(heldAt + 1).some((m) => m.withCanaryButtons)).toBe(false);
    // Redrawn as soon as the hold ends, not only when the step's bake does.
    expect(updates[heldAt + 1]?.headline).toBe('Canary held at 10%: resumed by U_DAVE');
    const ask = fake.calls.find((c) => c.name === 'postThreadReply' && (c.input as { text: string }).text.includes('is held at 10%'));
    expect((ask?.input as { text: string }).text).toMatch(/<!subteam\^S0DEPLOYERS>.*Resume \/ Promote \/ Roll back buttons on the message/);
  });
});
