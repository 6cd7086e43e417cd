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

  describe('canary holds and the inconclusive streak', () => {
    const result = (verdict: 'pass' | 'fail' | 'inconclusive') => ({
      measurement: { at: 'x', canary: {}, stable: {}, crashedTasks: 0 },
      verdict,
      signals: [],
    });
    const inCanary = () => {
      const state = new ReleaseState(input, t(0));
      state.enter(ReleaseStage.canary, 'canary', t(1));
      return state;
    };

    it('carries the streak across steps, and a resumed hold starts a new one', () => {
      const state = inCanary();
      state.recordMeasurements(1, 10, [result('pass'), result('inconclusive')], t(2));
      state.recordMeasurements(2, 30, [result('inconclusive'), result('inconclusive')], t(3));
      expect(state.inconclusiveInARow).toBe(3);
      expect(state.measurementsOf(2).map((m) => m.verdict)).toEqual(['inconclusive', 'inconclusive']);
      state.askHuman('no data', t(4));
      state.control('resume', 'alice', undefined, t(5));
      expect(state.inconclusiveInARow).toBe(0);
      state.recordMeasurements(2, 30, [result('inconclusive')], t(6));
      expect(state.inconclusiveInARow).toBe(1);
    });

    it('clears a hold on promote or abort, and pause and hold once the canary is left', () => {
      const state = inCanary();
      state.askHuman('no data', t(2));
      state.control('promote', 'alice', undefined, t(3));
      expect(state.snapshot().canary.awaitingDecision).toBeUndefined();
      // The promote may still be refused by the release: the canary stays paused until it moves on.
      expect(state.paused).toBe(true);
      state.enter(ReleaseStage.promoting, 'promoting', t(4));
      expect(state.paused).toBe(false);

      const aborted = inCanary();
      aborted.control('pause', 'bob', undefined, t(2));
      aborted.askHuman('no data', t(3));
      aborted.control('abort', 'bob', 'bad', t(4));
      expect(aborted.snapshot().canary.awaitingDecision).toBeUndefined();
      aborted.finish('rolled-back', 'aborted', t(5));
      expect(aborted.snapshot().paused).toBe(false);
    });
  });
});
