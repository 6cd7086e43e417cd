import { canaryShare, canaryStepsBeforePromotion, canaryTaskCount } from '../../src/domain/canary-plan';

describe('two-service canary arithmetic', () => {
  it('picks the task count whose share is closest to the weight', () => {
    // 9 stable tasks: 1 → 10 %, 4 → 30.8 %, 14 → 60.9 %
    expect(canaryTaskCount(9, 10)).toBe(1);
    expect(canaryTaskCount(9, 30)).toBe(4);
    expect(canaryTaskCount(9, 60)).toBe(14);
    expect(canaryShare(9, 1)).toBe(10);
    expect(canaryShare(9, 4)).toBe(30.8);
    expect(canaryShare(9, 14)).toBe(60.9);
  });

  it('never gives a positive weight zero tasks, even with few stable tasks', () => {
    expect(canaryTaskCount(2, 10)).toBe(1);
    expect(canaryShare(2, 1)).toBe(33.3);
    expect(canaryTaskCount(0, 10)).toBe(1);
  });

  it('treats 0 % as no canary', () => {
    expect(canaryTaskCount(9, 0)).toBe(0);
    expect(canaryShare(0, 0)).toBe(0);
  });

  it('leaves the 100 % step to promotion', () => {
    expect(canaryStepsBeforePromotion([10, 30, 60, 100])).toEqual([10, 30, 60]);
  });
});
