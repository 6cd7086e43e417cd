import { controlRefusal } from '../../src/domain/operator-controls';
import { ReleaseStage } from '../../src/domain/release';

const ops = ['alice', 'bob'];
const canary = { stage: ReleaseStage.canary, paused: false };

describe('operator controls', () => {
  it('lets an operator pause a running canary and resume a paused one', () => {
    expect(controlRefusal('pause', 'alice', ops, canary)).toBeUndefined();
    expect(controlRefusal('pause', 'alice', ops, { ...canary, paused: true })).toBe('the canary is already paused');
    expect(controlRefusal('resume', 'bob', ops, { ...canary, paused: true })).toBeUndefined();
    expect(controlRefusal('resume', 'bob', ops, canary)).toBe('the release is not paused (stage: canary)');
  });

  it('refuses controls that make no sense at the current stage, naming it', () => {
    expect(controlRefusal('pause', 'alice', ops, { stage: ReleaseStage.smoke, paused: false })).toBe('only a canary can be paused (stage: smoke)');
    expect(controlRefusal('promote', 'alice', ops, { stage: ReleaseStage.awaitingApproval, paused: false })).toBe(
      'only a canary can be promoted (stage: awaiting-approval)',
    );
    expect(controlRefusal('abort', 'alice', ops, { stage: ReleaseStage.released, paused: false })).toBe('the release is already released');
  });

  it('allows abort anywhere between start and the end', () => {
    for (const stage of [ReleaseStage.building, ReleaseStage.staging, ReleaseStage.awaitingApproval, ReleaseStage.canary, ReleaseStage.promoting]) {
      expect(controlRefusal('abort', 'bob', ops, { stage, paused: false })).toBeUndefined();
    }
  });

  it('refuses strangers, missing identities and a second promote or abort', () => {
    expect(controlRefusal('abort', 'mallory', ops, canary)).toBe('mallory may not abort releases (allowed: alice, bob)');
    expect(controlRefusal('pause', ' ', ops, canary)).toMatch(/identity is required/);
    expect(controlRefusal('pause', 'alice', ops, { ...canary, pending: 'promote' })).toBe('a promote is already under way');
    expect(controlRefusal('abort', 'alice', ops, { ...canary, pending: 'promote' })).toBeUndefined();
    expect(controlRefusal('promote', 'alice', ops, { ...canary, pending: 'abort' })).toBe('an abort is already under way');
  });

  it('refuses promote while the latest canary measurement fails, and allows abort', () => {
    expect(controlRefusal('promote', 'alice', ops, { ...canary, analysisFailing: true })).toBe(
      'the latest canary measurement failed; promote once analysis passes, or abort',
    );
    expect(controlRefusal('abort', 'alice', ops, { ...canary, analysisFailing: true })).toBeUndefined();
    expect(controlRefusal('promote', 'alice', ops, { ...canary, paused: true, analysisFailing: false })).toBeUndefined();
  });
});
