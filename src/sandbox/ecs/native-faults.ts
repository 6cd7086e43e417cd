/**
 * The scenario's `ecs.nativeDeployments`: how long an ECS minute lasts in the sandbox (bake times
 * and hook timeouts are in minutes) and the faults of ECS's own deployment strategies. Read when
 * a service deployment starts, so a later change never rewrites one under way; the counts go
 * down as deployments take them.
 */
import { z } from 'zod';

export const nativeDeploymentsSchema = z
  .object({
    /** Milliseconds one ECS minute lasts (bakeTimeInMinutes, step bake times, hook timeouts). @default 60000 */
    minuteMs: z.number().int().min(1).max(60_000).optional(),
    /** The next `count` service deployments: every PAUSE hook times out as soon as it is reached (its timeout action applies). */
    hookTimeouts: z.number().int().min(0).max(10_000).optional(),
    /** The next `count` service deployments: a rollback, if one happens, ends ROLLBACK_FAILED with traffic left where it was. */
    failRollbacks: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();
export type NativeDeploymentsScenario = z.infer<typeof nativeDeploymentsSchema>;

export const ECS_MINUTE_MS = 60_000;

/** What one service deployment takes from the scenario, and the scenario left afterwards. */
export function takeNativeFaults(current: NativeDeploymentsScenario | undefined): {
  taken: { minuteMs: number; hookTimesOut: boolean; rollbackFails: boolean };
  remaining: NativeDeploymentsScenario | undefined;
} {
  const hookTimesOut = (current?.hookTimeouts ?? 0) > 0;
  const rollbackFails = (current?.failRollbacks ?? 0) > 0;
  const taken = { minuteMs: current?.minuteMs ?? ECS_MINUTE_MS, hookTimesOut, rollbackFails };
  if (!current || (!hookTimesOut && !rollbackFails)) return { taken, remaining: current };
  return {
    taken,
    remaining: {
      ...current,
      ...(hookTimesOut ? { hookTimeouts: current.hookTimeouts! - 1 } : {}),
      ...(rollbackFails ? { failRollbacks: current.failRollbacks! - 1 } : {}),
    },
  };
}
