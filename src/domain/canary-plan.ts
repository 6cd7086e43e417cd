/**
 * Two-service canary arithmetic. The canary service shares the stable service's target group,
 * so its share of traffic is its share of tasks: k / (stable + k).
 */

/**
 * Number of canary tasks whose share of all tasks, k / (stable + k), comes closest to
 * `weightPercent`, given the stable service's task count. Never 0 for a positive weight (a
 * canary with no task tests nothing); on a tie the smaller canary wins (less exposure). Exact
 * shares are rarely possible with few tasks; `canaryShare` reports the real figure. A stable
 * service with 0 tasks counts as 1.
 */
export function canaryTaskCount(stableCount: number, weightPercent: number): number {
  if (weightPercent <= 0) return 0;
  if (weightPercent >= 100) return Math.max(stableCount, 1);
  const stable = Math.max(stableCount, 1);
  const exact = (weightPercent * stable) / (100 - weightPercent);
  const below = Math.max(1, Math.floor(exact));
  const above = Math.max(1, Math.ceil(exact));
  const distance = (k: number) => Math.abs((100 * k) / (stable + k) - weightPercent);
  return distance(above) < distance(below) ? above : below;
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

/**
 * A canary's weight as people read it: the share asked for and, when tasks could not make it
 * exact (the two-service canary), the share it really got; ECS's own strategies are exact.
 */
export function weightText(weight: number, actualWeight: number): string {
  return weight === actualWeight ? `${weight}% of production traffic` : `${weight}% requested, ${actualWeight}% of tasks`;
}
