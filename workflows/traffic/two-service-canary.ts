/**
 * The two-service canary on ECS: a second service (the canary) in the stable service's target
 * group, so its share of traffic is its share of tasks. Promotion rolls the stable service to
 * the new task definition and empties the canary.
 */
import { canaryShare, canaryStepsBeforePromotion, canaryTaskCount } from '../../src/domain/canary-plan';
import type { EcsServiceRef } from '../../src/domain/release';
import { rollOut } from '../ecs-rollout';
import type { ReleaseContext } from '../release-context';
import { ProductionDeploymentFailed } from '../release-stopped';
import type { TrafficStrategy } from './traffic-strategy';

export class TwoServiceCanary implements TrafficStrategy {
  readonly name = 'two-service canary';
  readonly steps: readonly number[];
  readonly canaryTarget: EcsServiceRef;
  private taskDefinition?: string;
  /** Tasks of the stable service when the canary began: the canary's counts are shares of it. */
  private stableCount = 0;

  constructor(private readonly release: ReleaseContext) {
    const { production, canary } = release.plan;
    this.steps = canaryStepsBeforePromotion(canary.steps);
    // The config refuses this strategy without a canary service; a plan without one (started by
    // hand) ends the release rolled back, naming it, rather than guessing a service to scale.
    if (!production.canaryService) throw new ProductionDeploymentFailed(`the plan names no canaryService for the two-service canary of ${production.cluster}/${production.service}`);
    this.canaryTarget = { cluster: production.cluster, service: production.canaryService };
  }

  async begin(taskDefinition: string): Promise<void> {
    const { acts, plan } = this.release;
    this.taskDefinition = taskDefinition;
    this.stableCount = (await acts.ecs.describeService(plan.production)).desiredCount;
    const canary = this.canaryTarget;
    this.release.undo.add(
      `take the canary (${canary.cluster}/${canary.service}) to 0 tasks`,
      async () => {
        await acts.rollback.updateService({ ...canary, desiredCount: 0 });
        this.release.setCanary(this.release.state.snapshot().canary.step, 0, 0);
      },
      { urgent: true, environment: 'production' },
    );
  }

  async shiftTo(weight: number): Promise<number> {
    const { acts, plan } = this.release;
    const taskDefinition = this.begun();
    const count = canaryTaskCount(this.stableCount, weight);
    await acts.ecs.updateService({ ...this.canaryTarget, taskDefinition, desiredCount: count });
    await acts.deployWait.waitForDeployment({ ...this.canaryTarget, taskDefinition, timeoutMs: plan.deployTimeoutMs });
    return canaryShare(this.stableCount, count);
  }

  async promote(): Promise<void> {
    const { acts, plan } = this.release;
    await rollOut(this.release, plan.production, this.begun(), 'production');
    await acts.ecs.updateService({ ...this.canaryTarget, desiredCount: 0 });
  }

  private begun(): string {
    if (!this.taskDefinition) throw new Error('the two-service canary was used before begin()');
    return this.taskDefinition;
  }
}
