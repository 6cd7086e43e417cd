/**
 * How Runway drives ECS's own CANARY, LINEAR and BLUE_GREEN deployments: which strategy and
 * percent ECS is given, where its PAUSE hooks stop a deployment so Runway can analyse, smoke-test
 * or watch, and how long ECS waits at each before it rolls back by itself. Pure: the workflow
 * sends what this returns; tests read it without a server.
 *
 * ECS's own bake times are all 0: Runway bakes while a hook holds the deployment. Every hook's
 * timeout action is ROLLBACK, so a Runway that disappears for longer than a hook's timeout leaves
 * production on the previous version, never half-way.
 */
import { smokeMaxDurationMs } from './smoke';
import type { ProductionLoadBalancer, ProductionStrategyName, ReleasePlan } from './release';

export type NativeStrategy = 'CANARY' | 'LINEAR' | 'BLUE_GREEN';
export type PauseStage = 'POST_TEST_TRAFFIC_SHIFT' | 'PRE_PRODUCTION_TRAFFIC_SHIFT' | 'POST_PRODUCTION_TRAFFIC_SHIFT';

export interface NativePause {
  stages: PauseStage[];
  timeoutMinutes: number;
}

export interface NativeDeploymentPlan {
  strategy: NativeStrategy;
  canaryPercent?: number;
  stepPercent?: number;
  loadBalancer: ProductionLoadBalancer;
  pauses: NativePause[];
}

const ECS_STRATEGY: Record<Exclude<ProductionStrategyName, 'two-service-canary'>, NativeStrategy> = {
  'ecs-canary': 'CANARY',
  'ecs-linear': 'LINEAR',
  'ecs-blue-green': 'BLUE_GREEN',
};

/** Time Runway may be gone (a worker restart, a redeploy) at a hook before ECS gives up on it. */
export const HOOK_GRACE_MS = 10 * 60_000;
/** ECS's bound on a hook's timeout (14 days). */
const MAX_HOOK_MINUTES = 20_160;

/** A bake may be repeated when its last measurements do not allow stepping up; this many fit in a hook's timeout. */
const BAKES_PER_HOOK = 3;

function minutes(ms: number): number {
  return Math.min(MAX_HOOK_MINUTES, Math.max(1, Math.ceil(ms / 60_000)));
}

export function isNativeStrategy(plan: ReleasePlan): boolean {
  return plan.production.strategy !== undefined && plan.production.strategy !== 'two-service-canary';
}

/**
 * The deployment configuration of a release's ECS deployment:
 * - canary / linear pause before every production shift (the analysis of the step before runs
 *   there) and after the last (the post-release watch, or a moment's hold, before ECS retires the
 *   old revision);
 * - blue-green pauses after test traffic moved (the smoke test through the test listener), before
 *   production moves, and after it moved (its bake: the watch).
 */
export function nativeDeploymentPlan(plan: ReleasePlan): NativeDeploymentPlan {
  const { strategy: name, loadBalancer } = plan.production;
  if (!name || name === 'two-service-canary' || !loadBalancer) throw new Error(`${plan.production.service} does not use an ECS deployment strategy`);
  const strategy = ECS_STRATEGY[name];
  const { bakeMs, analysis } = plan.canary;
  const steps = plan.canary.steps.filter((w) => w < 100);
  // Blue-green's pause before the shift may hold the approval instead of an analysis.
  const approvalHold = plan.production.approveAfterTestTraffic ? plan.approval.timeoutMs + HOOK_GRACE_MS : 0;
  const analysisHold = Math.max(BAKES_PER_HOOK * bakeMs + analysis.decisionTimeoutMs + HOOK_GRACE_MS, approvalHold);
  const watchHold = (plan.verify?.durationMs ?? 0) + analysis.decisionTimeoutMs + HOOK_GRACE_MS;
  const pauses: NativePause[] = [
    { stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: minutes(analysisHold) },
    { stages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: minutes(watchHold) },
  ];
  if (strategy === 'BLUE_GREEN') pauses.unshift({ stages: ['POST_TEST_TRAFFIC_SHIFT'], timeoutMinutes: minutes(smokeMaxDurationMs(plan.smoke) + HOOK_GRACE_MS) });
  return {
    strategy,
    ...(strategy === 'CANARY' ? { canaryPercent: steps[0] } : {}),
    ...(strategy === 'LINEAR' ? { stepPercent: steps[0] } : {}),
    loadBalancer,
    pauses,
  };
}

/**
 * The same deployment without hooks: putting production back on a known-good revision (a
 * rollback after ECS finished, `runway rollback`) must not wait for analysis it does not run.
 */
export function unpausedDeploymentPlan(plan: ReleasePlan): NativeDeploymentPlan {
  return { ...nativeDeploymentPlan(plan), pauses: [] };
}

/** What the status and the history call the strategy. */
export function strategyLabel(plan: ReleasePlan): string {
  return plan.production.strategy && plan.production.strategy !== 'two-service-canary'
    ? { 'ecs-canary': 'ECS canary', 'ecs-linear': 'ECS linear', 'ecs-blue-green': 'ECS blue-green' }[plan.production.strategy]
    : 'two-service canary';
}

/** True when the release's approval waits until blue-green's new revision passed its test-listener smoke test. */
export function approvesAfterTestTraffic(plan: ReleasePlan): boolean {
  return plan.production.strategy === 'ecs-blue-green' && plan.production.approveAfterTestTraffic === true;
}
