/**
 * How production traffic moves to the new version. The release's production stage steps
 * through `steps`, baking and analysing at each, then promotes; how a weight is reached, what
 * "all of production" means and how traffic is taken back belong to the strategy. Today's
 * implementation is the two-service canary; ECS-native canary / linear and blue-green
 * deployments implement the same interface.
 */
import type { EcsServiceRef } from '../../src/domain/release';

export interface TrafficStrategy {
  /** How the history and status name it. */
  readonly name: string;
  /** Weights (percent of production traffic, each below 100) to step through before promotion. */
  readonly steps: readonly number[];
  /** Where analysis finds the new version's tasks (crashed-task counts). */
  readonly canaryTarget: EcsServiceRef;
  /**
   * Readies production for `taskDefinition` and registers, on the release's undo stack, what
   * takes traffic back to the stable version (marked urgent: it runs before any other undo).
   */
  begin(taskDefinition: string): Promise<void>;
  /** Sends about `weight` % of production traffic to the new version; resolves with the share it really gets (percent). */
  shiftTo(weight: number): Promise<number>;
  /** Puts all of production on the new version (registering its own undo) and retires what carried the canary. */
  promote(): Promise<void>;
}
