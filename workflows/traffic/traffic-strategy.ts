/**
 * How production traffic moves to the new version. The release's production stage steps
 * through `steps`, baking and analysing at each, then promotes; how a weight is reached, what
 * "all of production" means and how traffic is taken back belong to the strategy. Today's
 * implementations are the two-service canary (two-service-canary.ts) and ECS's own canary,
 * linear and blue-green deployments (ecs-native.ts).
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
   * When canary and stable run in one service, the task definitions the analysis tells them apart
   * by (metrics by revision); absent when each runs in its own service (metrics by track).
   */
  readonly revisions?: { canary: string; stable: string };
  /** The revision production runs before the release, once read (the baseline is measured on it). */
  readonly stableRevision?: string;
  /** Reads what production runs before anything changes, when the strategy needs it before `begin`. */
  readProduction?(): Promise<void>;
  /**
   * Readies production for `taskDefinition` and registers, on the release's undo stack, what
   * takes traffic back to the stable version (marked urgent: it runs before any other undo).
   */
  begin(taskDefinition: string): Promise<void>;
  /** Sends about `weight` % of production traffic to the new version; resolves with the share it really gets (percent). */
  shiftTo(weight: number): Promise<number>;
  /** Puts all of production on the new version (registering its own undo) and retires what carried the canary. */
  promote(): Promise<void>;
  /** After the post-release watch: lets go of what kept the previous version ready to take traffic back. */
  complete?(): Promise<void>;
  /**
   * When the traffic is held by something that can give up by itself (an ECS lifecycle hook with a
   * timeout), throws a ReleaseStopped naming why if it did; called after every analysis window.
   */
  confirmInControl?(): Promise<void>;
  /** How long an operator's pause may last before the hold gives up by itself (undefined: no bound). */
  pauseLimitMs?(): number | undefined;
}
