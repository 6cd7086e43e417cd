import { ReleaseStage, type ReleaseInput } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { samplePlan } from '../support/sample-plan';

const input: ReleaseInput = {
  service: 'checkout',
  version: 'abc1234',
  image: 'repo/checkout:abc1234',
  requestedBy: 'ci',
  reason: 'test',
  plan: samplePlan(),
};
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('ReleaseState', () => {
  it('starts queued with the request in its history', () => {
    const state = new ReleaseState(input, t(0));
    const s = state.snapshot();
    expect(s.releaseId).toBe('release-checkout-abc1234');
    expect(s.stage).toBe(ReleaseStage.queued);
    expect(s.history).toHaveLength(1);
    expect(s.history[0]!.message).toMatch(/requested by ci/);
  });

  it('records stage changes, canary steps and decisions with their times', () => {
    const state = new ReleaseState(input, t(0));
    state.enter(ReleaseStage.awaitingApproval, 'waiting', t(1));
    state.decide('approved', 'alice', 'ok', t(2));
    state.enter(ReleaseStage.canary, 'canary', t(3));
    state.setCanary(1, 10, 10, t(4));
    const s = state.snapshot();
    expect(s.approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'ok', at: t(2).toISOString() });
    expect(s.canary).toEqual({ steps: [10, 30, 60, 100], step: 1, weight: 10, actualWeight: 10 });
    expect(s.history.map((e) => e.stage)).toEqual(['queued', 'awaiting-approval', 'awaiting-approval', 'canary', 'canary']);
    expect(s.updatedAt).toBe(t(4).toISOString());
  });

  it('refuses a second decision and any stage after the end', () => {
    const state = new ReleaseState(input, t(0));
    state.decide('rejected', 'bob', undefined, t(1));
    expect(() => state.decide('approved', 'alice', undefined, t(2))).toThrow(/already decided/);
    state.finish('rejected', 'no', t(3));
    expect(state.snapshot()).toMatchObject({ stage: 'rejected', result: 'rejected', outcomeReason: 'no', finishedAt: t(3).toISOString() });
    expect(() => state.enter(ReleaseStage.canary, 'x', t(4))).toThrow(/already ended/);
  });

  it('hands out copies, never its live state', () => {
    const state = new ReleaseState(input, t(0));
    const s = state.snapshot();
    s.history.push({ at: 'x', stage: ReleaseStage.failed, message: 'tampered' });
    expect(state.snapshot().history).toHaveLength(1);
  });
});
