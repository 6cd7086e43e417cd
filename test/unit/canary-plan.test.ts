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

  it('compares the shares, not the counts: rounding the count is not always closest', () => {
    // 1 stable task at 59 %: 1 canary task is 50 %, 2 are 66.7 % (closer).
    expect(canaryTaskCount(1, 59)).toBe(2);
    // Against every small fleet, no other count is closer than the one chosen.
    for (let stable = 1; stable <= 12; stable++) {
      for (const weight of [5, 10, 25, 30, 50, 59, 60, 75, 90]) {
        const chosen = canaryTaskCount(stable, weight);
        const gap = (k: number) => Math.abs((100 * k) / (stable + k) - weight);
        for (let k = 1; k <= 200; k++) expect(gap(chosen)).toBeLessThanOrEqual(gap(k));
      }
    }
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
