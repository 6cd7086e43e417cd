/**
 * Two-service canary arithmetic. The canary service shares the stable service's target group,
 * so its share of traffic is its share of tasks: k / (stable + k).
 */

/**
 * Number of canary tasks whose share of all tasks comes closest to `weightPercent`, given the
 * stable service's task count. Never 0 for a positive weight (a canary with no task tests
 * nothing), and rounded to the nearest whole task otherwise: exact shares are rarely possible
 * with few tasks, and `canaryShare` reports the real figure.
 */
export function canaryTaskCount(stableCount: number, weightPercent: number): number {
  if (weightPercent <= 0) return 0;
  if (weightPercent >= 100) return Math.max(stableCount, 1);
  const stable = Math.max(stableCount, 1);
  const exact = (weightPercent * stable) / (100 - weightPercent);
  return Math.max(1, Math.round(exact));
}

/** Real share of traffic, in percent (one decimal), that `canaryCount` tasks get. */
export function canaryShare(stableCount: number, canaryCount: number): number {
  const total = stableCount + canaryCount;
  if (total === 0) return 0;
  return Math.round((canaryCount / total) * 1000) / 10;
}

/** Canary steps below 100 %; reaching 100 % is the promotion of the stable service. */
export function canaryStepsBeforePromotion(steps: number[]): number[] {
  return steps.filter((w) => w < 100);
}
