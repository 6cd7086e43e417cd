import { approvalRefusal, rejectionRefusal } from '../../src/domain/approval-policy';
import { ReleaseStage } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { samplePlan } from '../support/sample-plan';

const policy = { approvers: ['alice', 'bob'], allowSelfApproval: false };
const waiting = { requestedBy: 'carol', stage: ReleaseStage.awaitingApproval, alreadyDecided: false };

describe('approval policy', () => {
  it('allows a listed approver while the release awaits approval', () => {
    expect(approvalRefusal(policy, { ...waiting, by: 'alice' })).toBeUndefined();
  });

  it('refuses someone who is not listed, naming who is allowed', () => {
    expect(approvalRefusal(policy, { ...waiting, by: 'mallory' })).toBe('mallory is not an allowed approver (allowed: alice, bob)');
  });

  it('refuses self-approval unless configured', () => {
    const attempt = { ...waiting, requestedBy: 'alice', by: 'alice' };
    expect(approvalRefusal(policy, attempt)).toMatch(/self-approval is not allowed/);
    expect(approvalRefusal({ ...policy, allowSelfApproval: true }, attempt)).toBeUndefined();
  });

  it('refuses outside the approval stage and after a decision', () => {
    expect(approvalRefusal(policy, { ...waiting, by: 'alice', stage: ReleaseStage.smoke })).toMatch(/not awaiting approval \(stage: smoke\)/);
    expect(approvalRefusal(policy, { ...waiting, by: 'alice', alreadyDecided: true })).toMatch(/already been decided/);
  });

  it('refuses an empty identity', () => {
    expect(approvalRefusal(policy, { ...waiting, by: '  ' })).toMatch(/identity is required/);
  });

  it('lets approvers reject and the requester withdraw, but nobody else', () => {
    expect(rejectionRefusal(policy, { ...waiting, by: 'bob' })).toBeUndefined();
    expect(rejectionRefusal(policy, { ...waiting, by: 'carol' })).toBeUndefined();
    expect(rejectionRefusal(policy, { ...waiting, by: 'mallory' })).toMatch(/not an allowed approver/);
    expect(rejectionRefusal(policy, { ...waiting, by: 'carol', alreadyDecided: true })).toMatch(/already been decided/);
  });

  describe('Slack user groups', () => {
    const withGroup = { ...policy, groups: ['S0DEPLOYERS'] };

    it('allows a member of a configured group who is not in the approvers list', () => {
      // The requester's Slack id is known, so the member can be told apart from them (see below).
      expect(approvalRefusal({ ...withGroup, requesterSlackId: 'U01CAROL' }, { ...waiting, by: 'dave', groups: ['S0DEPLOYERS'] })).toBeUndefined();
      expect(rejectionRefusal(withGroup, { ...waiting, by: 'dave', groups: ['S0DEPLOYERS'] })).toBeUndefined();
    });

    it('refuses membership of a group this service does not configure, naming the allowed groups', () => {
      expect(approvalRefusal(withGroup, { ...waiting, by: 'dave', groups: ['S0OTHERS'] })).toBe(
        'dave is not an allowed approver (allowed: alice, bob; members of S0DEPLOYERS)',
      );
      expect(approvalRefusal(policy, { ...waiting, by: 'dave', groups: ['S0DEPLOYERS'] })).toMatch(/not an allowed approver/);
    });

    it('still refuses self-approval to a group member', () => {
      expect(approvalRefusal(withGroup, { ...waiting, by: 'carol', groups: ['S0DEPLOYERS'] })).toMatch(/self-approval is not allowed/);
    });

    describe("when the requester's Slack id is unknown", () => {
      // dave clicks under his Slack id; nothing says carol (the requester) is not that Slack user.
      const groupClick = { ...waiting, by: 'U01DAVE', slackUserId: 'U01DAVE', groups: ['S0DEPLOYERS'] };

      it('refuses an approval that rests on group membership, saying how to fix it', () => {
        expect(approvalRefusal(withGroup, groupClick)).toBe(
          "the requester's Slack id is unknown, so approval by group membership cannot rule out self-approval (map carol to their Slack user id under `people` in the config)",
        );
      });

      it('still allows a named approver who is not the requester, group member or not', () => {
        expect(approvalRefusal(withGroup, { ...groupClick, by: 'alice', slackUserId: 'U01ALICE' })).toBeUndefined();
        expect(approvalRefusal(withGroup, { ...waiting, by: 'bob' })).toBeUndefined();
      });

      it('allows the group approval once the requester is mapped, or when self-approval is allowed', () => {
        expect(approvalRefusal({ ...withGroup, requesterSlackId: 'U01CAROL' }, groupClick)).toBeUndefined();
        expect(approvalRefusal({ ...withGroup, allowSelfApproval: true }, groupClick)).toBeUndefined();
      });

      it('does not stop a group member from rejecting', () => {
        expect(rejectionRefusal(withGroup, groupClick)).toBeUndefined();
      });
    });
  });

  it('recognises the requester by Slack id, whatever name the click maps to', () => {
    const known = { ...policy, requesterSlackId: 'U01CAROL' };
    expect(approvalRefusal(known, { ...waiting, by: 'alice', slackUserId: 'U01CAROL' })).toMatch(/self-approval is not allowed/);
    expect(approvalRefusal(known, { ...waiting, by: 'alice', slackUserId: 'U01ALICE' })).toBeUndefined();
    // The requester may withdraw by Slack id too.
    expect(rejectionRefusal(known, { ...waiting, by: 'U01CAROL', slackUserId: 'U01CAROL' })).toBeUndefined();
  });

  describe('several approvals required', () => {
    const two = { ...policy, requiredApprovals: 2 };

    it('refuses a second approval by the same person', () => {
      expect(approvalRefusal(two, { ...waiting, by: 'alice', approvedBy: ['alice'] })).toBe(
        'alice has already approved; 1 more approval(s) from someone else are needed',
      );
      expect(approvalRefusal(two, { ...waiting, by: 'bob', approvedBy: ['alice'] })).toBeUndefined();
    });

    it('records the first approval and keeps waiting; the second distinct approver decides', () => {
      const state = new ReleaseState(
        { service: 'checkout', version: 'abc', image: 'img', requestedBy: 'carol', reason: 'r', plan: samplePlan() },
        new Date(0),
      );
      state.enter(ReleaseStage.awaitingApproval, 'waiting', new Date(1));
      expect(state.addApproval('alice', undefined, undefined, 2, new Date(2))).toBe(1);
      expect(state.isDecided).toBe(false);
      expect(() => state.addApproval('alice', undefined, undefined, 2, new Date(3))).toThrow(/already approved/);
      expect(state.addApproval('bob', 'lgtm', 'S0DEPLOYERS', 2, new Date(4))).toBe(0);
      expect(state.approval).toMatchObject({
        decision: 'approved',
        by: 'alice, bob',
        approvals: [{ by: 'alice' }, { by: 'bob', comment: 'lgtm', group: 'S0DEPLOYERS' }],
      });
    });
  });
});
