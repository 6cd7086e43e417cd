import type { ApprovalPolicy } from '../../src/domain/approval-policy';
import { type ControlAttempt, controlRefusal, type ControlState, type OperatorAction } from '../../src/domain/operator-controls';
import { ReleaseStage } from '../../src/domain/release';

const policy: ApprovalPolicy = { approvers: ['alice', 'bob'], allowSelfApproval: false };
const canary = { stage: ReleaseStage.canary, paused: false };
const held: ControlState = { stage: ReleaseStage.canary, paused: true, held: true };
/** `by` acting from the CLI on a release carol requested. */
const as = (by: string, origin: Partial<ControlAttempt> = {}): ControlAttempt => ({ by, requestedBy: 'carol', ...origin });
const refusal = (action: OperatorAction, by: string, s: ControlState, p: ApprovalPolicy = policy) => controlRefusal(action, as(by), p, s);

describe('operator controls', () => {
  it('lets an operator pause a running canary and resume a paused one', () => {
    expect(refusal('pause', 'alice', canary)).toBeUndefined();
    expect(refusal('pause', 'alice', { ...canary, paused: true })).toBe('the canary is already paused');
    expect(refusal('resume', 'bob', { ...canary, paused: true })).toBeUndefined();
    expect(refusal('resume', 'bob', canary)).toBe('the release is not paused (stage: canary)');
  });

  it('refuses controls that make no sense at the current stage, naming it', () => {
    expect(refusal('pause', 'alice', { stage: ReleaseStage.smoke, paused: false })).toBe('only a canary can be paused (stage: smoke)');
    expect(refusal('promote', 'alice', { stage: ReleaseStage.awaitingApproval, paused: false })).toBe('only a canary or the post-release watch can be promoted (stage: awaiting-approval)');
    expect(refusal('abort', 'alice', { stage: ReleaseStage.released, paused: false })).toBe('the release is already released');
  });

  it('allows abort anywhere between start and the end', () => {
    for (const stage of [ReleaseStage.building, ReleaseStage.staging, ReleaseStage.awaitingApproval, ReleaseStage.canary, ReleaseStage.promoting]) {
      expect(refusal('abort', 'bob', { stage, paused: false })).toBeUndefined();
    }
  });

  it('refuses strangers, missing identities and a second promote or abort', () => {
    expect(refusal('abort', 'mallory', canary)).toBe('mallory may not abort releases (allowed: alice, bob)');
    expect(refusal('pause', ' ', canary)).toMatch(/identity is required/);
    expect(refusal('pause', 'alice', { ...canary, pending: 'promote' })).toBe('a promote is already under way');
    expect(refusal('abort', 'alice', { ...canary, pending: 'promote' })).toBeUndefined();
    expect(refusal('promote', 'alice', { ...canary, pending: 'abort' })).toBe('an abort is already under way');
  });

  it('refuses promote while the latest canary measurement fails, and allows abort', () => {
    expect(refusal('promote', 'alice', { ...canary, analysisFailing: true })).toBe('the latest canary measurement failed; promote once analysis passes, or abort');
    expect(refusal('abort', 'alice', { ...canary, analysisFailing: true })).toBeUndefined();
    expect(refusal('promote', 'alice', { ...canary, paused: true, analysisFailing: false })).toBeUndefined();
  });
});

describe('operator controls follow the approval policy', () => {
  const grouped: ApprovalPolicy = { approvers: [], groups: ['S0DEPLOYERS'], allowSelfApproval: false, requesterSlackId: 'U_CAROL' };
  const dave = as('U_DAVE', { slackUserId: 'U_DAVE', groups: ['S0DEPLOYERS'] });

  it('lets a member of a configured Slack group use every control, with approvers: []', () => {
    expect(controlRefusal('resume', dave, grouped, held)).toBeUndefined();
    expect(controlRefusal('promote', dave, grouped, held)).toBeUndefined();
    expect(controlRefusal('abort', dave, grouped, held)).toBeUndefined();
    expect(controlRefusal('pause', dave, grouped, canary)).toBeUndefined();
  });

  it('refuses outsiders, naming the policy: the approvers and the groups', () => {
    const outsider = as('U_MALLORY', { slackUserId: 'U_MALLORY', groups: ['S0OTHERS'] });
    expect(controlRefusal('resume', outsider, grouped, held)).toBe('U_MALLORY may not resume releases (allowed: members of S0DEPLOYERS)');
    expect(controlRefusal('abort', outsider, { ...grouped, approvers: ['alice'] }, held)).toBe(
      'U_MALLORY may not abort releases (allowed: alice; members of S0DEPLOYERS)',
    );
    // Membership of a group counts only for the service that configures it.
    expect(controlRefusal('abort', dave, policy, held)).toBe('U_DAVE may not abort releases (allowed: alice, bob)');
    expect(controlRefusal('abort', dave, { approvers: [], allowSelfApproval: true }, held)).toBe('U_DAVE may not abort releases (allowed: nobody)');
  });

  it('lets the requester brake their own release, but not decide past analysis without self-approval', () => {
    const own = { ...policy, approvers: ['alice', 'carol'] };
    // Pause, abort and resuming an operator's pause only operate the release.
    expect(refusal('pause', 'carol', canary, own)).toBeUndefined();
    expect(refusal('resume', 'carol', { ...canary, paused: true }, own)).toBeUndefined();
    expect(refusal('abort', 'carol', held, own)).toBeUndefined();
    // Resuming a held canary and promoting are approvals of what analysis could not show.
    expect(refusal('resume', 'carol', held, own)).toBe(
      'carol requested this release and self-approval is not allowed (resuming a held canary counts as approving)',
    );
    expect(refusal('promote', 'carol', canary, own)).toBe('carol requested this release and self-approval is not allowed (promoting counts as approving)');
    expect(refusal('resume', 'alice', held, own)).toBeUndefined();
    expect(refusal('resume', 'carol', held, { ...own, allowSelfApproval: true })).toBeUndefined();
  });

  it('recognises the requester by Slack id in a group, and a group-only decision when their id is unknown', () => {
    const carol = as('U_CAROL', { slackUserId: 'U_CAROL', groups: ['S0DEPLOYERS'] });
    expect(controlRefusal('resume', carol, grouped, held)).toMatch(/^U_CAROL requested this release and self-approval is not allowed/);
    expect(controlRefusal('abort', carol, grouped, held)).toBeUndefined();
    const unmapped = { ...grouped, requesterSlackId: undefined };
    expect(controlRefusal('resume', dave, unmapped, held)).toMatch(/^the requester's Slack id is unknown, so approval by group membership cannot rule out self-approval/);
    expect(controlRefusal('abort', dave, unmapped, held)).toBeUndefined();
  });
});
