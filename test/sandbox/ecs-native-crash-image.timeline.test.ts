/**
 * A crashing image under ECS's own CANARY strategy on a hand-driven clock: when the green tasks
 * fail, when the circuit breaker trips and the rollback starts and ends, to the millisecond. Every
 * call is held to botocore's ECS model as it runs.
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
  status: string;
  lifecycleStage: string;
  finishedAt?: number;
  deploymentCircuitBreaker: { status: string; failureCount: number; threshold: number };
  targetServiceRevision: { requestedProductionTrafficWeight: number };
  rollback?: { startedAt: number; reason: string };
}

it('CANARY, 10 tasks, a crashing image behind a PRE_SCALE_UP pause: failures spread over SCALE_UP, the breaker trips at its end, the rollback ends a deployment delay later', () => {
  const t = clockedEmulator({ delayMs: 1000, desiredCount: 10 });
  t.scenario.merge({ images: { v2: 'crash' }, ecs: { nativeDeployments: { minuteMs: 100 } } });
  const sds = modelChecked(t.ecs.serviceDeployments as unknown as EcsEmulator) as unknown as ServiceDeployments;
  const t0 = t.now();
  t.ecs.updateService({
    cluster: 'staging',
    service: 'checkout',
    taskDefinition: t.register('repo/checkout:v2'),
    deploymentConfiguration: {
      strategy: 'CANARY',
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 },
      bakeTimeInMinutes: 1,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRE_SCALE_UP'] }],
    },
    loadBalancers: LOAD_BALANCERS,
  });
  const { serviceDeployments } = sds.listServiceDeployments({ cluster: 'staging', service: 'checkout' }) as { serviceDeployments: { serviceDeploymentArn: string }[] };
  const arn = serviceDeployments[0]!.serviceDeploymentArn;
  const read = () => (sds.describeServiceDeployments({ serviceDeploymentArns: [arn] }) as { serviceDeployments: (WireServiceDeployment & { lifecycleHookDetails?: { hookId: string; status: string }[] })[] }).serviceDeployments[0]!;
  const state = () => {
    const sd = read();
    return [sd.status, sd.lifecycleStage, sd.deploymentCircuitBreaker.status, sd.deploymentCircuitBreaker.failureCount, sd.targetServiceRevision.requestedProductionTrafficWeight];
  };

  // Held at PRE_SCALE_UP for 500 ms: no task starts, none fails.
  t.advance(500);
  expect(state()).toEqual(['IN_PROGRESS', 'PRE_SCALE_UP', 'MONITORING', 0, 0]);
  expect(t.tasks('STOPPED').filter((task) => task.taskDefinitionArn.endsWith(':2'))).toEqual([]);
  const hookId = read().lifecycleHookDetails!.find((h) => h.status === 'AWAITING_ACTION')!.hookId;
  sds.continueServiceDeployment({ serviceDeploymentArn: arn, hookId, action: 'CONTINUE' });

  // Threshold 5 (0.5 × 10): one failure every 200 ms of the 1 s SCALE_UP.
  t.advance(399);
  expect(state()).toEqual(['IN_PROGRESS', 'SCALE_UP', 'MONITORING', 1, 0]);
  t.advance(1);
  expect(state()).toEqual(['IN_PROGRESS', 'SCALE_UP', 'MONITORING', 2, 0]);
  t.advance(599);
  expect(state()).toEqual(['IN_PROGRESS', 'SCALE_UP', 'MONITORING', 4, 0]);
  t.advance(1);
  expect(state()).toEqual(['ROLLBACK_IN_PROGRESS', 'SCALE_UP', 'TRIGGERED', 5, 0]);
  expect(read().rollback).toEqual({ startedAt: (t0 + 1500) / 1000, reason: expect.stringMatching(/^ECS deployment circuit breaker: 5 tasks .*\(threshold 5\): Essential container in task exited\.$/), serviceRevisionArn: expect.any(String) });
  t.advance(999);
  expect(state()[0]).toBe('ROLLBACK_IN_PROGRESS');
  t.advance(1);
  expect(state()).toEqual(['ROLLBACK_SUCCESSFUL', 'SCALE_UP', 'TRIGGERED', 5, 0]);
  expect(read().finishedAt).toBe((t0 + 2500) / 1000);
  const stopped = t.tasks('STOPPED').filter((task) => task.taskDefinitionArn.endsWith(':2'));
  // SCALE_UP began at t0 + 500 ms; the k-th task failed k × 200 ms later.
  expect(stopped.map((task) => task.stoppedAt)).toEqual([1, 2, 3, 4, 5].map((k) => (t0 + 500 + k * 200) / 1000));
});
