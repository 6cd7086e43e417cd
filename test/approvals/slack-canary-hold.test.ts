/**
 * A held canary decided from Slack: the release message of a canary that analysis holds for a
 * human carries Resume / Promote / Roll back; the sandbox clicks them with correctly signed
 * interactions, and the approvals server sends the resume / promote / abort control Updates with
 * the clicker's Slack origin, under the same signature, replay and policy checks as Approve /
 * Reject. The service here is approved only through a Slack user group (`approvers: []`).
 */
import { statusQuery } from '../../src/domain/release-api';
import { blockActionsPayload, messageButtons, signedInteraction } from '../../src/sandbox';
import { CANARY_RESUME_ACTION_ID, RELEASE_ROLLBACK_ACTION_ID } from '../../src/slack/release-message';
import { type ApprovalsRig, CAROL, DAVE, DEPLOYERS, MALLORY, repliesTo, SIGNING_SECRET, startApprovalsRig, until } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

/** Only members of DEPLOYERS decide; CAROL (the requester, a member too) is known by her Slack id. */
const GROUP_ONLY = { approvers: [], groups: [DEPLOYERS], requesterSlackId: CAROL };
const APPROVED_BY_DAVE = { by: DAVE, slackUserId: DAVE, groups: [DEPLOYERS] };

describe('a held canary decided from Slack', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig();
  });
  afterAll(async () => rig.stop());

  async function click(user: string, action: 'resume' | 'promote' | 'abort', releaseId: string): Promise<string | undefined> {
    const result = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user, action, releaseId });
    expect(result.status).toBe(200);
    await rig.server.settled();
    return repliesTo(rig.sandbox, result.responseUrl)[0]?.text;
  }

  const buttonsOf = (releaseId: string) => messageButtons({ blocks: rig.messageOf(releaseId)?.blocks }).map((b) => b.text);

  it('shows Resume, Promote and Roll back on the held message; a group member resumes, and the buttons go', async () => {
    const handle = await rig.startHeldRelease(GROUP_ONLY, APPROVED_BY_DAVE);
    expect(buttonsOf(handle.workflowId)).toEqual(['Resume', 'Promote', 'Roll back']);

    expect(await click(DAVE, 'resume', handle.workflowId)).toBe(
      `You resumed the canary of ${handle.workflowId}: it bakes the rest of this step and analysis carries on.`,
    );
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([expect.objectContaining({ action: 'resume', by: DAVE, reason: 'via Slack' })]);
    expect(rig.logs).toContain(`approvals: ${DAVE} resume ${handle.workflowId} → resumed`);
    await until(() => rig.messageOf(handle.workflowId)?.text?.includes('Released to production') ?? false, 'the final update');
    // The hold's buttons are gone; what remains is the released message's own Roll back (a rollback of the finished release).
    expect(messageButtons({ blocks: rig.messageOf(handle.workflowId)?.blocks }).map((b) => b.actionId)).toEqual([RELEASE_ROLLBACK_ACTION_ID]);
  });

  it('refuses an outsider and the requester with an ephemeral reason, and the canary stays held', async () => {
    const handle = await rig.startHeldRelease(GROUP_ONLY, APPROVED_BY_DAVE);
    expect(await click(MALLORY, 'abort', handle.workflowId)).toBe(
      `Your rollback of ${handle.workflowId} was not recorded: ${MALLORY} may not abort releases (allowed: members of ${DEPLOYERS}). Nothing has changed.`,
    );
    expect(await click(MALLORY, 'resume', handle.workflowId)).toMatch(/^Your request to resume .* was not recorded: U_MALLORY may not resume releases/);
    expect(await click(CAROL, 'promote', handle.workflowId)).toBe(
      `Your promotion of ${handle.workflowId} was not recorded: ${CAROL} requested this release and self-approval is not allowed (promoting counts as approving). Nothing has changed.`,
    );
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ stage: 'canary', paused: true, canary: { awaitingDecision: expect.any(String) } });
    expect(status.controls ?? []).toEqual([]);
    expect(buttonsOf(handle.workflowId)).toEqual(['Resume', 'Promote', 'Roll back']);
  });

  it('promotes on a group member\'s Promote, skipping the remaining steps', async () => {
    const handle = await rig.startHeldRelease(GROUP_ONLY, APPROVED_BY_DAVE);
    expect(await click(DAVE, 'promote', handle.workflowId)).toContain(`You promoted ${handle.workflowId}`);
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([expect.objectContaining({ action: 'promote', by: DAVE })]);
    const steps = outcome.status.history.map((e) => e.message).filter((m) => m.startsWith('canary step'));
    expect(steps).toEqual(['canary step 1/4: 10% of production traffic', 'canary step 4/4: 100% of production traffic']);
  });

  it('rolls back on a group member\'s Roll back (an abort)', async () => {
    const handle = await rig.startHeldRelease(GROUP_ONLY, APPROVED_BY_DAVE);
    expect(await click(DAVE, 'abort', handle.workflowId)).toContain(`You rolled back ${handle.workflowId}`);
    const outcome = await releaseOutcome(handle);
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: `aborted by ${DAVE}: via Slack` });
    await until(() => rig.messageOf(handle.workflowId)?.text?.includes('Rolled back') ?? false, 'the final update');
    expect(buttonsOf(handle.workflowId)).toEqual([]);
  });

  it('refuses a replayed Resume click (409) after acting on the original once', async () => {
    const handle = await rig.startHeldRelease(GROUP_ONLY, APPROVED_BY_DAVE);
    const message = rig.messageOf(handle.workflowId)!;
    const button = messageButtons(message).find((b) => b.actionId === CANARY_RESUME_ACTION_ID)!;
    const responseUrl = `${rig.sandbox.url}/slack/response/canary-replay-test`;
    const original = signedInteraction(SIGNING_SECRET, blockActionsPayload({ message, button, user: DAVE, responseUrl, nowSec: Date.now() / 1000 }), Date.now() / 1000);
    const post = () => fetch(rig.server.eventsUrl, { method: 'POST', headers: original.headers, body: original.body });

    expect((await post()).status).toBe(200);
    await rig.server.settled();
    const lookups = rig.serverHandleLookups();
    const replay = await post();
    expect(replay.status).toBe(409);
    expect(await replay.json()).toEqual({ error: expect.stringMatching(/replayed/) });
    await rig.server.settled();
    expect(rig.serverHandleLookups()).toBe(lookups);

    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([expect.objectContaining({ action: 'resume', by: DAVE })]);
  });
});
