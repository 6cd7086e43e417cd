/**
 * ECS's own strategies on a hand-driven clock: when each lifecycle stage starts, when traffic
 * moves, when a hook expires and a rollback ends, to the millisecond. The emulator advances
 * service deployments lazily from timestamps, so these states are exact, not raced. Every call
 * is held to botocore's ECS model as it runs.
 */
import type { EcsEmulator } from '../../src/sandbox/ecs/emulator';
import type { ServiceDeployments } from '../../src/sandbox/ecs/service-deployments';
import { clockedEmulator } from '../support/clocked-emulator';
import { modelChecked } from '../support/ecs-model';

const LOAD_BALANCERS = [
  {
    targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/checkout-blue/0123456789abcdef',
    containerName: 'app',
    containerPort: 8080,
    advancedConfiguration: {
      alternateTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/checkout-green/0123456789abcdef',
      productionListenerRule: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/checkout/0123456789abcdef/0123456789abcdef/0123456789abcdef',
      roleArn: 'arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers',
    },
  },
];

interface WireServiceDeployment {
  serviceDeploymentArn: string;
  status: string;
  lifecycleStage: string;
  finishedAt?: number;
  targetServiceRevision: { requestedProductionTrafficWeight: number; runningTaskCount: number };
  sourceServiceRevisions: { requestedProductionTrafficWeight: number }[];
  lifecycleHookDetails?: { hookId: string; status: string; expiresAt: number }[];
  rollback?: { startedAt: number };
}

/** A sandbox minute of 100 ms, deployments that take 1 s to scale up, and a service of 10 tasks. */
function setup() {
  const t = clockedEmulator({ delayMs: 1000, desiredCount: 10 });
  t.scenario.merge({ ecs: { nativeDeployments: { minuteMs: 100 } } });
  const sds = modelChecked(t.ecs.serviceDeployments as unknown as EcsEmulator) as unknown as ServiceDeployments;
  const blue = t.service().taskDefinition;
  const start = (deploymentConfiguration: Record<string, unknown>) => {
    const green = t.register('repo/checkout:v2');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: green, deploymentConfiguration, loadBalancers: LOAD_BALANCERS });
    const { serviceDeployments } = sds.listServiceDeployments({ cluster: 'staging', service: 'checkout' }) as { serviceDeployments: { serviceDeploymentArn: string }[] };
    const arn = serviceDeployments[0]!.serviceDeploymentArn;
    const read = () => (sds.describeServiceDeployments({ serviceDeploymentArns: [arn] }) as { serviceDeployments: WireServiceDeployment[] }).serviceDeployments[0]!;
    return { arn, green, read };
  };
  const at = (read: () => WireServiceDeployment) => {
    const sd = read();
    return [sd.status, sd.lifecycleStage, sd.targetServiceRevision.requestedProductionTrafficWeight];
  };
  return { ...t, sds, blue, start, at, t0: t.now() };
}

it('LINEAR: scales green up, shifts 30 % per step every step bake, bakes, then cleans up blue, each at its exact time', () => {
  const t = setup();
  const { read } = t.start({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 2 }, bakeTimeInMinutes: 3 });
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'SCALE_UP', 0]);
  t.advance(999);
  expect(read().targetServiceRevision.runningTaskCount).toBe(0);
  t.advance(1);
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 30]);
  expect(read().targetServiceRevision.runningTaskCount).toBe(10);
  const steps: number[] = [];
  for (let ms = 0; ms < 600; ms += 100) {
    t.advance(100);
    steps.push(read().targetServiceRevision.requestedProductionTrafficWeight);
  }
  // Every 200 ms (2 minutes of 100 ms): 60, 90, then the rest; no bake after the last step.
  expect(steps).toEqual([30, 60, 60, 90, 90, 100]);
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'BAKE_TIME', 100]);
  t.advance(299);
  // Both revisions still run while baking.
  expect(t.service().deployments.map((d) => d.runningCount)).toEqual([10, 10]);
  t.advance(1);
  expect(t.at(read)).toEqual(['SUCCESSFUL', 'CLEAN_UP', 100]);
  expect(read().finishedAt).toBe((t.t0 + 1900) / 1000);
  expect(t.service().deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 10 })]);
});

it('CANARY with a PAUSE hook before each shift: the canary bake starts when the hook is answered, and the next shift waits for its own hook', () => {
  const t = setup();
  const { arn, green, read } = t.start({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 }, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'] }] });
  t.advance(1000);
  const first = read().lifecycleHookDetails![0]!;
  expect(first.status).toBe('AWAITING_ACTION');
  // The default timeout: 1440 minutes.
  expect(first.expiresAt).toBe((t.t0 + 1000 + 1440 * 100) / 1000);
  t.advance(5000);
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 0]);
  expect(t.ecs.servingDeployment('staging', 'checkout')).toMatchObject({ kind: 'serving', taskDefinition: { arn: t.blue } });
  t.sds.continueServiceDeployment({ serviceDeploymentArn: arn, hookId: first.hookId, action: 'CONTINUE' });
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 10]);
  expect(read().sourceServiceRevisions[0]!.requestedProductionTrafficWeight).toBe(90);
  // Blue still has most of the traffic, so it is what the sandbox's health and metrics see.
  expect(t.ecs.servingDeployment('staging', 'checkout')).toMatchObject({ kind: 'serving', taskDefinition: { arn: t.blue } });
  t.advance(199);
  expect(read().lifecycleHookDetails).toBeUndefined();
  t.advance(1);
  expect(read().lifecycleHookDetails).toEqual([expect.objectContaining({ status: 'AWAITING_ACTION' })]);
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', 10]);
  t.sds.continueServiceDeployment({ serviceDeploymentArn: arn, hookId: read().lifecycleHookDetails![0]!.hookId });
  expect(t.at(read)).toEqual(['SUCCESSFUL', 'CLEAN_UP', 100]);
  expect(t.ecs.servingDeployment('staging', 'checkout')).toMatchObject({ kind: 'serving', taskDefinition: { arn: green } });
});

it('a PAUSE hook left unanswered times out at its expiry and rolls back; the rollback ends one deployment delay later', () => {
  const t = setup();
  const { read } = t.start({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 5, action: 'ROLLBACK' } }] });
  t.advance(1000);
  expect(t.at(read)).toEqual(['IN_PROGRESS', 'POST_PRODUCTION_TRAFFIC_SHIFT', 100]);
  expect(read().lifecycleHookDetails![0]!.expiresAt).toBe((t.t0 + 1500) / 1000);
  t.advance(499);
  expect(read().lifecycleHookDetails![0]!.status).toBe('AWAITING_ACTION');
  t.advance(1);
  expect(t.at(read)).toEqual(['ROLLBACK_IN_PROGRESS', 'POST_PRODUCTION_TRAFFIC_SHIFT', 0]);
  expect(read().rollback!.startedAt).toBe((t.t0 + 1500) / 1000);
  expect(read().lifecycleHookDetails![0]!.status).toBe('TIMED_OUT');
  t.advance(999);
  expect(read().status).toBe('ROLLBACK_IN_PROGRESS');
  t.advance(1);
  expect(read()).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', finishedAt: (t.t0 + 2500) / 1000 });
  expect(t.service().deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: t.blue, runningCount: 10 })]);
});

it('a deployment started while a rollback is under way stays the one PRIMARY when the rollback ends', () => {
  const t = setup();
  const first = t.start({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 }, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_SCALE_UP'] }] });
  t.advance(1000);
  t.sds.stopServiceDeployment({ serviceDeploymentArn: first.arn, stopType: 'ROLLBACK' });
  expect(first.read().status).toBe('ROLLBACK_IN_PROGRESS');
  const v3 = t.register('repo/checkout:v3');
  // The same strategy and hook: the new deployment pauses at POST_SCALE_UP, still PRIMARY, when the rollback ends.
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: v3 });
  t.advance(1000);
  expect(first.read().status).toBe('ROLLBACK_SUCCESSFUL');
  expect(t.service().deployments.filter((d) => d.status === 'PRIMARY').map((d) => d.taskDefinition)).toEqual([v3]);
  const { serviceDeployments } = t.sds.listServiceDeployments({ cluster: 'staging', service: 'checkout', status: ['IN_PROGRESS'] }) as { serviceDeployments: { serviceDeploymentArn: string }[] };
  const second = t.sds.describeServiceDeployments({ serviceDeploymentArns: [serviceDeployments[0]!.serviceDeploymentArn] }) as { serviceDeployments: WireServiceDeployment[] };
  const hookId = second.serviceDeployments[0]!.lifecycleHookDetails![0]!.hookId;
  t.sds.continueServiceDeployment({ serviceDeploymentArn: serviceDeployments[0]!.serviceDeploymentArn, hookId });
  expect(t.service().deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: v3, rolloutState: 'COMPLETED', runningCount: 10 })]);
});
