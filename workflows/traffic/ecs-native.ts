/**
 * ECS's own CANARY, LINEAR and BLUE_GREEN deployments of the one production service, held by
 * Runway's PAUSE hooks (src/domain/ecs-native-plan.ts): ECS moves the traffic with exact weights
 * on the load balancer; Runway decides at every hook. A canary / linear deployment pauses before
 * each production shift, where the step before it is analysed, and after the last, where the
 * post-release watch runs while the previous revision is still ready; blue-green also pauses once
 * test traffic reaches the new revision, where the smoke test runs through the test listener.
 *
 * Every hook is answered once: the activities read the hook before answering, so a worker lost
 * mid-answer does not answer twice. A hook that timed out while no worker ran has made ECS roll
 * back already; the next look at the deployment says so and the release ends rolled back,
 * naming it. Taking traffic back is ECS's own rollback of the service deployment, waited for
 * until ECS reports it done.
 */
import type { ServiceSnapshot } from '../../activities/ecs';
import { approvesAfterTestTraffic, nativeDeploymentPlan, type NativeDeploymentPlan, strategyLabel, unpausedDeploymentPlan } from '../../src/domain/ecs-native-plan';
import { type EcsServiceRef, ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import { ProductionDeploymentFailed } from '../release-stopped';
import { awaitApproval } from '../stages/approval';
import type { TrafficStrategy } from './traffic-strategy';

/** A PAUSE hook of the deployment, awaiting Runway's answer. */
interface AwaitedHook {
  hookId: string;
  lifecycleStage: string;
  /** Workflow time Runway saw it awaiting (its timeout runs from about then). */
  reachedAtMs: number;
}

export class EcsNativeTraffic implements TrafficStrategy {
  readonly name: string;
  readonly steps: readonly number[];
  readonly canaryTarget: EcsServiceRef;
  revisions?: { canary: string; stable: string };
  private readonly config: NativeDeploymentPlan;
  private previous?: ServiceSnapshot;
  private deploymentArn?: string;
  private awaiting?: AwaitedHook;
  /** ECS finished the deployment: the previous revision is gone, so taking production back is a new deployment. */
  private finished = false;

  constructor(private readonly release: ReleaseContext) {
    const { plan } = release;
    this.config = nativeDeploymentPlan(plan);
    this.name = strategyLabel(plan);
    this.steps = plan.canary.steps.filter((w) => w < 100);
    this.canaryTarget = { cluster: plan.production.cluster, service: plan.production.service };
  }

  /** What production runs before anything changes: the stable revision, and the baseline's revision. */
  async readProduction(): Promise<void> {
    this.previous = await this.release.acts.ecs.describeService(this.release.plan.production);
  }

  get stableRevision(): string | undefined {
    return this.previous?.taskDefinition;
  }

  async begin(taskDefinition: string): Promise<void> {
    const { acts, plan } = this.release;
    const previous = this.previous ?? (await this.release.acts.ecs.describeService(plan.production));
    this.previous = previous;
    this.revisions = { canary: taskDefinition, stable: previous.taskDefinition };
    // Registered before the change, as every undo is: a start retried after a crash finds its own deployment.
    this.release.undo.add(`roll production (${plan.production.cluster}/${plan.production.service}) back to ${previous.taskDefinition}`, () => this.takeTrafficBack(), {
      urgent: true,
      environment: 'production',
    });
    const started = await acts.native.startNativeDeployment({ ...plan.production, taskDefinition, config: this.config });
    this.deploymentArn = started.serviceDeploymentArn;
    this.release.record(`production: ECS ${this.config.strategy} deployment ${this.deploymentArn} started${started.changed ? '' : ' (found in place)'}`);
    await this.nextHook();
    if (this.config.strategy === 'BLUE_GREEN') await this.smokeTestThroughTestListener();
  }

  async shiftTo(weight: number): Promise<number> {
    // The hook before this shift: answering it moves the traffic; the next hook means it moved.
    await this.answer('CONTINUE');
    await this.nextHook();
    return weight;
  }

  /**
   * All production traffic on the new revision: every remaining shift's hook is answered (an
   * operator's promote skips the steps left), up to the hook after the last shift, which holds the
   * previous revision ready for the watch.
   */
  async promote(): Promise<void> {
    for (let shifts = 0; ; shifts++) {
      await this.answer('CONTINUE');
      await this.nextHook();
      if (this.awaiting?.lifecycleStage === 'POST_PRODUCTION_TRAFFIC_SHIFT') break;
      if (shifts > 100) throw new ProductionDeploymentFailed(`the ECS deployment never reached POST_PRODUCTION_TRAFFIC_SHIFT (at ${this.awaiting?.lifecycleStage})`);
    }
    this.release.state.deployed('production', this.revisions!.canary);
    this.release.record(`production: all traffic on ${this.revisions!.canary}; ECS keeps ${this.revisions!.stable} ready until the release completes`);
  }

  /** After the watch: ECS may retire the previous revision; the release waits until ECS reports the deployment done. */
  async complete(): Promise<void> {
    const { acts, plan } = this.release;
    await this.answer('CONTINUE');
    const end = await acts.nativeWait.awaitServiceDeploymentEnd({ serviceDeploymentArn: this.arn(), timeoutMs: plan.deployTimeoutMs });
    if (end.status !== 'SUCCESSFUL') throw new ProductionDeploymentFailed(`ECS ended the production deployment ${end.status}: ${end.statusReason ?? 'no reason given'}`);
    this.finished = true;
    this.release.record(`production: ECS deployment ${this.arn()} completed`);
  }

  /** ECS rolls a deployment back by itself when a hook times out: a release that was away (no worker) notices here and ends, naming the hook. */
  async confirmInControl(): Promise<void> {
    if (!this.deploymentArn || !this.awaiting) return;
    const seen = await this.release.acts.nativeWait.awaitLifecycleHook({ serviceDeploymentArn: this.deploymentArn, timeoutMs: this.release.plan.deployTimeoutMs });
    if (seen.kind === 'ended') {
      this.awaiting = undefined;
      throw new ProductionDeploymentFailed(`ECS ended the production deployment ${seen.status}: ${seen.statusReason ?? 'no reason given'}`);
    }
  }

  /** A pause outlasting the awaited hook's timeout finds ECS rolled back; the release looks once that time has passed. */
  pauseLimitMs(): number | undefined {
    if (!this.awaiting) return undefined;
    const hook = this.awaiting.lifecycleStage === 'POST_PRODUCTION_TRAFFIC_SHIFT' ? this.config.pauses.at(-1) : this.config.pauses.find((p) => p.stages.includes('PRE_PRODUCTION_TRAFFIC_SHIFT'));
    return hook ? Math.max(0, this.awaiting.reachedAtMs + hook.timeoutMinutes * 60_000 - Date.now()) + 1000 : undefined;
  }

  /** Blue-green: the new revision has the test listener's traffic; the smoke checks run there before production traffic moves. */
  private async smokeTestThroughTestListener(): Promise<void> {
    const { acts, plan } = this.release;
    if (this.awaiting?.lifecycleStage !== 'POST_TEST_TRAFFIC_SHIFT') return;
    const url = plan.production.testUrl!;
    this.release.record(`smoke testing the new revision through the test listener: ${url}`);
    const smoke = await acts.smoke.runSmokeTest({ ...plan.smoke, url });
    this.release.record(`test-listener smoke test passed: ${smoke.checks.length} check(s) answered ${smoke.checks.map((c) => c.status).join(', ')}`);
    await this.answer('CONTINUE');
    await this.nextHook();
    if (approvesAfterTestTraffic(plan)) {
      // ECS holds the deployment at the pause before the production shift while people decide; a rejection takes the new revision away.
      await awaitApproval(this.release);
      this.release.enter(ReleaseStage.canary, `approved: moving production traffic to the new revision (${this.name})`);
    }
  }

  /** Waits for ECS to pause at the next hook; a deployment that ended instead (ECS rolled it back) ends the release, naming why. */
  private async nextHook(): Promise<void> {
    const { acts, plan } = this.release;
    const next = await acts.nativeWait.awaitLifecycleHook({ serviceDeploymentArn: this.arn(), timeoutMs: plan.deployTimeoutMs });
    if (next.kind === 'ended') {
      this.awaiting = undefined;
      throw new ProductionDeploymentFailed(`ECS ended the production deployment ${next.status}: ${next.statusReason ?? 'no reason given'}`);
    }
    this.awaiting = { hookId: next.hookId, lifecycleStage: next.lifecycleStage, reachedAtMs: Date.now() };
    this.release.record(`production: ECS paused at ${next.lifecycleStage} (hook ${next.hookId})`);
  }

  private async answer(action: 'CONTINUE' | 'ROLLBACK'): Promise<void> {
    const hook = this.awaiting;
    if (!hook) throw new ProductionDeploymentFailed('no ECS lifecycle hook awaits an answer');
    this.awaiting = undefined;
    const answered = await this.release.acts.native.answerLifecycleHook({ serviceDeploymentArn: this.arn(), hookId: hook.hookId, action });
    if (!answered.answered) this.release.record(`production: hook ${hook.hookId} was no longer awaiting an answer (${answered.hookStatus ?? 'unknown'})`);
  }

  /**
   * The undo: ECS's rollback of the deployment (traffic back on the previous revision at once,
   * then the new one's tasks go), waited for until ECS reports it done. Once ECS has finished the
   * deployment, the previous revision is deployed again without hooks.
   */
  private async takeTrafficBack(): Promise<void> {
    const { acts, plan } = this.release;
    const previous = this.previous!;
    if (this.deploymentArn && !this.finished) {
      const { status } = await acts.nativeRollback.rollBackServiceDeployment({ serviceDeploymentArn: this.deploymentArn });
      if (status !== 'SUCCESSFUL') {
        const end = await acts.nativeRollbackWait.awaitServiceDeploymentEnd({ serviceDeploymentArn: this.deploymentArn, timeoutMs: plan.deployTimeoutMs });
        this.release.record(`production: ECS deployment ${this.deploymentArn} ended ${end.status}`);
        this.release.setCanary(this.release.state.snapshot().canary.step, 0, 0);
        return;
      }
    }
    await redeployNative(this.release, previous.taskDefinition);
    this.release.setCanary(this.release.state.snapshot().canary.step, 0, 0);
  }

  private arn(): string {
    if (!this.deploymentArn) throw new Error('the ECS deployment was used before begin()');
    return this.deploymentArn;
  }
}

/**
 * Production back on `taskDefinition` by an ECS deployment of the service's strategy without
 * hooks: what a rollback does once ECS retired the previous revision, and `runway rollback`.
 */
export async function redeployNative(release: ReleaseContext, taskDefinition: string): Promise<string> {
  const { acts, plan } = release;
  const started = await acts.nativeRollback.startNativeDeployment({ ...plan.production, taskDefinition, config: unpausedDeploymentPlan(plan) });
  const end = await acts.nativeRollbackWait.awaitServiceDeploymentEnd({ serviceDeploymentArn: started.serviceDeploymentArn, timeoutMs: plan.deployTimeoutMs });
  if (end.status !== 'SUCCESSFUL') throw new ProductionDeploymentFailed(`ECS ended the deployment of ${taskDefinition} ${end.status}: ${end.statusReason ?? 'no reason given'}`);
  release.state.deployed('production', taskDefinition);
  release.record(`production: ${taskDefinition} deployed by ECS deployment ${started.serviceDeploymentArn}`);
  return `ECS deployment ${started.serviceDeploymentArn.split('/').pop()} put ${taskDefinition.split('/').pop()} back`;
}
