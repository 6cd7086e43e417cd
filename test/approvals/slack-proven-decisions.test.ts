/**
 * Proven decisions through the approvals server (issue 18, part 3): with a worker that requires
 * proofs, a real signed Slack click is accepted because the server signs what it forwards (with
 * the groups it resolved itself), while the same decision sent by a raw Temporal client, naming
 * the same Slack user and group, is refused and recorded. The Roll back button's rollback starts
 * with the server's proof of the clicker, which the rollback verifies before touching anything.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveUpdate, statusQuery } from '../../src/domain/release-api';
import { CANARY_RESUME_ACTION_ID } from '../../src/shared/slack-button-value';
import { rollbackId } from '../../src/domain/rollback';
import { ALICE, type ApprovalsRig, BOB, CAROL, clickReply, DAVE, DEPLOYERS, startApprovalsRig, until } from '../support/approvals-rig';
import { untilRecorded } from '../support/releases-to-production';
import { uniqueId } from '../support/temporal';
import { releaseOutcome } from '../../src/release-client/outcome';

const KEY = randomBytes(32);

describe('proven decisions from Slack', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig({
      decisionKeys: { hmacKeys: { k2: KEY }, sshKeysOf: () => [], signing: { kid: 'k2', key: KEY } },
    });
  });
  afterAll(async () => rig.stop());

  const click = (user: string, action: 'approve' | 'reject' | 'resume', releaseId: string) => clickReply(rig, user, action, releaseId);

  it("accepts a group member's click signed by the server; the same claim from a raw client is refused and recorded", async () => {
    const handle = await rig.startAwaitingRelease({ groups: [DEPLOYERS], requesterSlackId: CAROL });
    const forged = await handle.executeUpdate(approveUpdate, { args: [{ by: DAVE, slackUserId: DAVE, groups: [DEPLOYERS] }] }).then(
      () => 'accepted',
      (err: WorkflowUpdateFailedError) => (err.cause as Error).message,
    );
    expect(forged).toMatch(/^approval refused: unsigned decision \(group claim not proven/);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');

    expect(await click(DAVE, 'approve', handle.workflowId)).toContain('You approved');
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: DAVE });
    expect(outcome.status.approval.refused).toEqual([expect.objectContaining({ by: DAVE, reason: expect.stringMatching(/^unsigned decision/) })]);
    expect(JSON.stringify(await handle.fetchHistory())).not.toContain(KEY.toString('base64'));
  });

  it("signs a held canary's Resume click for the message's run", async () => {
    const handle = await rig.startAwaitingRelease({}, { holdCanary: true });
    expect(await click(ALICE, 'approve', handle.workflowId)).toContain('You approved');
    await until(async () => (await handle.query(statusQuery)).canary.awaitingDecision !== undefined, 'a held canary');
    await until(() => JSON.stringify(rig.messageOf(handle.workflowId)?.blocks ?? []).includes(CANARY_RESUME_ACTION_ID), 'the Resume button on the message');
    expect(await click(BOB, 'resume', handle.workflowId)).toContain('You resumed');
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([expect.objectContaining({ action: 'resume', by: BOB, reason: 'via Slack' })]);
  });

  it("signs the rollback a Roll back click starts: the rollback proves its requester before touching production", async () => {
    const service = uniqueId('rbp');
    const released: string[] = [];
    for (let i = 0; i < 2; i++) {
      const handle = await rig.startAwaitingRelease({}, { service });
      expect(await click(ALICE, 'approve', handle.workflowId)).toContain('You approved');
      expect((await releaseOutcome(handle)).result).toBe('released');
      released.push(handle.workflowId);
    }
    await untilRecorded(rig.client, service, 2);
    await until(() => rig.messageOf(released[1])?.text?.includes('Released to production') ?? false, 'the final update');
    const reply = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user: BOB, action: 'rollback', releaseId: released[1] });
    expect(reply.status).toBe(200);
    await rig.server.settled();
    const outcome = await releaseOutcome(rig.client.workflow.getHandle(rollbackId(released[1])));
    expect(outcome).toMatchObject({ result: 'released', status: { requestedBy: BOB } });
    expect(outcome.status.history.map((e) => e.message)).toContain(`rollback requested by ${BOB}, proven by the approvals server's signature`);
  });
});
