import { approvalRefusal, rejectionRefusal } from '../../src/domain/approval-policy';
import { ReleaseStage } from '../../src/domain/release';

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
});
