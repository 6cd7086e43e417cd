/**
 * The approval policy through real signed clicks: approver groups resolved by the approvals
 * server with usergroups.users.list, self-approval by Slack id, and two required approvals —
 * over both transports (signed HTTP requests and Socket Mode envelopes), which must judge alike.
 */
import { statusQuery } from '../../src/domain/release-api';
import { ALICE, type ApprovalsRig, BOB, CAROL, DAVE, DEPLOYERS, MALLORY, repliesTo, startApprovalsRig, TRANSPORTS } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

describe.each(TRANSPORTS)('approval policy from Slack (%s)', (transport) => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig({ transport });
  });
  afterAll(async () => rig.stop());

  async function click(user: string, action: 'approve' | 'reject', releaseId: string): Promise<string | undefined> {
    const result = await rig.sandbox.clickButton({ ...rig.via, user, action, releaseId });
    expect(result.status).toBe(200);
    await rig.server.settled();
    return repliesTo(rig.sandbox, result.responseUrl)[0]?.text;
  }

  it('lets a member of a configured user group approve, though not in the approvers list', async () => {
    // The requester's Slack id is mapped: without it a group approval could be the requester's own.
    const handle = await rig.startAwaitingRelease({ groups: [DEPLOYERS], requesterSlackId: CAROL });
    expect(await click(DAVE, 'approve', handle.workflowId)).toContain('You approved');
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: DAVE });
    expect(rig.sandbox.calls().slack.filter((c) => c.operation === 'usergroups.users.list').length).toBeGreaterThanOrEqual(1);
  });

  it("refuses a group approval while the requester's Slack id is unknown; a named approver still decides", async () => {
    const handle = await rig.startAwaitingRelease({ groups: [DEPLOYERS] });
    expect(await click(DAVE, 'approve', handle.workflowId)).toMatch(/the requester's Slack id is unknown.*under `people`.*Nothing has changed\.$/);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');
    expect(await click(ALICE, 'approve', handle.workflowId)).toContain('You approved');
    expect((await releaseOutcome(handle)).status.approval).toMatchObject({ decision: 'approved', by: ALICE });
  });

  it('refuses the same member when the release does not configure the group', async () => {
    const handle = await rig.startAwaitingRelease();
    expect(await click(DAVE, 'approve', handle.workflowId)).toBe(
      `Your approval of ${handle.workflowId} was not recorded: ${DAVE} is not an allowed approver (allowed: ${ALICE}, ${BOB}). Nothing has changed.`,
    );
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');
  });

  it('refuses self-approval by the requester even as a group member', async () => {
    const handle = await rig.startAwaitingRelease({ groups: [DEPLOYERS], requesterSlackId: CAROL });
    expect(await click(CAROL, 'approve', handle.workflowId)).toMatch(/requested this release and self-approval is not allowed\. Nothing has changed\.$/);
    const status = await handle.query(statusQuery);
    expect(status.stage).toBe('awaiting-approval');
    expect(status.approval.decision).toBeUndefined();
  });

  it('with two approvals required, records the first, refuses a repeat, and goes on at the second', async () => {
    const handle = await rig.startAwaitingRelease({ requiredApprovals: 2 });
    expect(await click(ALICE, 'approve', handle.workflowId)).toBe(
      `Your approval of ${handle.workflowId} is recorded. It still needs 1 more approval(s) from someone else.`,
    );
    let status = await handle.query(statusQuery);
    expect(status.stage).toBe('awaiting-approval');
    expect(status.approval.approvals).toEqual([expect.objectContaining({ by: ALICE })]);

    expect(await click(ALICE, 'approve', handle.workflowId)).toMatch(/has already approved; 1 more approval\(s\) from someone else are needed/);
    expect(await click(MALLORY, 'approve', handle.workflowId)).toMatch(/not an allowed approver/);
    status = await handle.query(statusQuery);
    expect(status.stage).toBe('awaiting-approval');

    expect(await click(BOB, 'approve', handle.workflowId)).toContain('You approved');
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: `${ALICE}, ${BOB}` });
  });
});
