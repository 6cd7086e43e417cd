/**
 * ECS's own CANARY, LINEAR and BLUE_GREEN deployments through whole releases on the dev server,
 * with the real activities against the sandbox (its ECS runs the service deployments, its
 * Prometheus answers by task revision from ECS's traffic weights). What is asserted is what the
 * sandbox was asked and what its ECS did: the UpdateService carried the strategy and the PAUSE
 * hooks; every hook the deployment stopped at was answered exactly once (CONTINUE on the way to
 * production); blue-green's smoke test reached the new revision through the test listener before
 * any production traffic could move; production ends on the new task definition with the service
 * deployment SUCCESSFUL. A bad version is rolled back through ECS (ROLLBACK_SUCCESSFUL, no
 * production traffic left on it), naming the failing signal.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import {
  answersPerHook,
  callsOf,
  continueCalls,
  deploymentArnOf,
  describeDeployment,
  hooksSeenAwaiting,
  nativePlan,
  nativeReleaseInput,
  type NativeStrategyName,
  productionTaskDefinition,
  productionWeights,
  runApprovedRelease,
  STABLE_TD,
  useNativeSandbox,
  updateServiceCalls,
} from '../support/ecs-native-rig';
import { useTestClient } from '../support/temporal';
import { untilStatus } from '../support/workflow-runner';

const temporal = useTestClient();

const native = useNativeSandbox();

interface Run {
  outcome: ReleaseOutcome;
  image: string;
}

/**
 * Runs a release of a new version under `plan` on an in-process worker with the sandbox's
 * activities; alice approves it; `during` may act on the running release.
 */
async function release(client: Client, plan: ReleasePlan, options: { canary?: 'errors'; during?: (handle: WorkflowHandle, image: string) => Promise<void> } = {}): Promise<Run> {
  const input = nativeReleaseInput(plan);
  const outcome = await runApprovedRelease(client, native.sandbox, input, {
    scenario: { images: { [input.image]: 'healthy' }, ...(options.canary ? { canary: { [input.image]: { behaviour: options.canary } } } : {}) },
    ...(options.during ? { during: (handle: WorkflowHandle) => options.during!(handle, input.image) } : {}),
  });
  return { outcome, image: input.image };
}

/** The production UpdateService that started the deployment: the strategy, ECS bakes 0, PAUSE hooks with ROLLBACK timeouts, the load balancer's advanced configuration. */
function expectNativeUpdate(strategy: 'CANARY' | 'LINEAR' | 'BLUE_GREEN', stages: string[][], percent?: Record<string, unknown>) {
  const updates = updateServiceCalls(native.sandbox);
  expect(updates).toHaveLength(1);
  const request = updates[0]!.request as {
    taskDefinition: string;
    deploymentConfiguration: { strategy: string; bakeTimeInMinutes: number; lifecycleHooks: { targetType: string; lifecycleStages: string[]; timeoutConfiguration: { action: string; timeoutInMinutes: number } }[] } & Record<string, unknown>;
    loadBalancers: { advancedConfiguration?: Record<string, unknown> }[];
  };
  expect(request.deploymentConfiguration).toMatchObject({ strategy, bakeTimeInMinutes: 0, ...(percent ?? {}) });
  const hooks = request.deploymentConfiguration.lifecycleHooks;
  expect(hooks.map((h) => h.targetType)).toEqual(stages.map(() => 'PAUSE'));
  expect(hooks.map((h) => h.lifecycleStages)).toEqual(stages);
  for (const h of hooks) expect(h.timeoutConfiguration).toEqual({ action: 'ROLLBACK', timeoutInMinutes: expect.any(Number) });
  expect(request.loadBalancers[0]!.advancedConfiguration).toMatchObject({ alternateTargetGroupArn: expect.stringContaining('targetgroup/checkout-green'), roleArn: expect.any(String) });
  return request.taskDefinition;
}

/** Every hook the deployment stopped at was answered once, with `action`; no hook was answered that never awaited. */
function expectEveryHookAnsweredOnce(expectedStages: string[], action = 'CONTINUE') {
  const seen = hooksSeenAwaiting(native.sandbox);
  expect(seen.map((h) => h.lifecycleStage)).toEqual(expectedStages);
  const answers = continueCalls(native.sandbox);
  expect(answers.map((a) => a.hookId)).toEqual(seen.map((h) => h.hookId));
  expect(Object.values(answersPerHook(native.sandbox)).every((n) => n === 1)).toBe(true);
  expect(answers.every((a) => a.action === action)).toBe(true);
  return { seen, answers };
}

async function expectReleasedOn(taskDefinition: string) {
  const arn = deploymentArnOf(native.sandbox);
  expect(await describeDeployment(native.sandbox, arn)).toMatchObject({ status: 'SUCCESSFUL' });
  expect(await productionTaskDefinition(native.sandbox)).toBe(taskDefinition);
  expect(await productionWeights(native.sandbox)).toEqual([{ taskDefinition, production: 100, test: 0 }]);
  expect(callsOf(native.sandbox, 'ecs', 'StopServiceDeployment')).toEqual([]);
}

describe.each<[NativeStrategyName, 'CANARY' | 'LINEAR', string[], Record<string, unknown>]>([
  ['ecs-canary', 'CANARY', ['PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'], { canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 } }],
  ['ecs-linear', 'LINEAR', ['PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'], { linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 0 } }],
])('%s', (strategy, ecsStrategy, hookStages, percent) => {
  it('releases: every PAUSE hook answered once with CONTINUE, production on the new revision, the deployment SUCCESSFUL', async () => {
    const { outcome } = await release(temporal.client, nativePlan(native.config, native.sandbox, strategy));
    expect(outcome.result).toBe('released');
    const taskDefinition = expectNativeUpdate(ecsStrategy, [['PRE_PRODUCTION_TRAFFIC_SHIFT'], ['POST_PRODUCTION_TRAFFIC_SHIFT']], percent);
    expect(taskDefinition).not.toMatch(STABLE_TD);
    expectEveryHookAnsweredOnce(hookStages);
    await expectReleasedOn(taskDefinition);
  });

  it('rolls a version with bad canary metrics back through ECS, naming the failing signal', async () => {
    const { outcome } = await release(temporal.client, nativePlan(native.config, native.sandbox, strategy), { canary: 'errors' });
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^canary analysis failed at \d+%: .*error-rate/);
    const arn = deploymentArnOf(native.sandbox);
    const rollbackAsked = [
      ...callsOf(native.sandbox, 'ecs', 'StopServiceDeployment').filter((c) => (c.request as { stopType?: string }).stopType === 'ROLLBACK'),
      ...continueCalls(native.sandbox).filter((c) => c.action === 'ROLLBACK'),
    ];
    expect(rollbackAsked.length).toBeGreaterThanOrEqual(1);
    expect(await describeDeployment(native.sandbox, arn)).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
    // No production traffic left on the new revision: the stable one has it all again.
    const weights = await productionWeights(native.sandbox);
    expect(weights).toEqual([{ taskDefinition: expect.stringMatching(STABLE_TD), production: 100, test: 0 }]);
    expect(await productionTaskDefinition(native.sandbox)).toMatch(STABLE_TD);
    // Never answered a hook twice on the way.
    expect(Object.values(answersPerHook(native.sandbox)).every((n) => n === 1)).toBe(true);
  });
});

describe('ecs-blue-green', () => {
  it('smoke-tests the new revision through the test listener before production moves, then releases', async () => {
    const { outcome, image } = await release(temporal.client, nativePlan(native.config, native.sandbox, 'ecs-blue-green'));
    expect(outcome.result).toBe('released');
    const taskDefinition = expectNativeUpdate('BLUE_GREEN', [['POST_TEST_TRAFFIC_SHIFT'], ['PRE_PRODUCTION_TRAFFIC_SHIFT'], ['POST_PRODUCTION_TRAFFIC_SHIFT']]);
    const { seen, answers } = expectEveryHookAnsweredOnce(['POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']);

    // The smoke checks through the test listener: all while the POST_TEST_TRAFFIC_SHIFT hook held
    // the deployment (after it was seen, before it was answered), answered by the new image.
    const testChecks = callsOf(native.sandbox, 'health', 'GET test-listener health production/checkout');
    expect(testChecks.length).toBeGreaterThanOrEqual(1);
    for (const check of testChecks) {
      expect(check.status).toBe(200);
      expect(check.seq).toBeGreaterThan(seen[0]!.firstSeenSeq);
      expect(check.seq).toBeLessThan(answers[0]!.seq);
      expect((check.exchange?.responseBody as { image?: string }).image).toBe(image);
    }
    // No production weight moves before the PRE_PRODUCTION_TRAFFIC_SHIFT hook is answered, which came after the smoke.
    expect(answers[1]!.seq).toBeGreaterThan(testChecks.at(-1)!.seq);
    expect(outcome.status.history.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^test-listener smoke test passed/)]));
    await expectReleasedOn(taskDefinition);
  });

  it('rolls back when the version turns bad during its bake (the watch): traffic back on blue at once, ROLLBACK_SUCCESSFUL', async () => {
    const plan = nativePlan(native.config, native.sandbox, 'ecs-blue-green', { verifyMs: 30_000 });
    const { outcome } = await release(temporal.client, plan, {
      during: async (handle, image) => {
        await untilStatus(handle, (s) => s.stage === 'verifying', 'the watch');
        native.sandbox.setScenario({ canary: { [image]: { behaviour: 'errors' } } });
      },
    });
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^post-release watch failed in production: .*error-rate/);
    const arn = deploymentArnOf(native.sandbox);
    expect(continueCalls(native.sandbox).map((c) => c.action)).toEqual(['CONTINUE', 'CONTINUE']);
    expect(callsOf(native.sandbox, 'ecs', 'StopServiceDeployment').map((c) => c.request)).toEqual([{ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }]);
    expect(await describeDeployment(native.sandbox, arn)).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
    expect(await productionWeights(native.sandbox)).toEqual([{ taskDefinition: expect.stringMatching(STABLE_TD), production: 100, test: 0 }]);
    expect(await productionTaskDefinition(native.sandbox)).toMatch(STABLE_TD);
  });
});
