/**
 * A new revision whose tasks crash or cannot start, under ECS's own strategies (CANARY, LINEAR,
 * BLUE_GREEN), through the real @aws-sdk/client-ecs. The green tasks fail during SCALE_UP as a
 * rolling deployment's do (same stopped tasks, same stoppedReason, same service events); with the
 * circuit breaker and rollback on, the service deployment rolls back (ROLLBACK_IN_PROGRESS →
 * ROLLBACK_SUCCESSFUL) naming the breaker and the failed tasks before any production traffic
 * moved; without the breaker it stays IN_PROGRESS with failed tasks growing. The scenario's
 * `ecs.clusterImages` scopes a behaviour to one cluster. Every call is held to botocore's ECS
 * model. A sandbox minute lasts 20 ms, a deployment scales up in 50 ms; exact timings are in
 * ecs-native-crash-image.timeline.test.ts.
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type LoadBalancer,
  RegisterTaskDefinitionCommand,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import type { ImageBehaviour } from '../../src/sandbox/scenario';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, PRODUCTION, STAGING, until } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const LOAD_BALANCERS: LoadBalancer[] = [
  {
    targetGroupArn: `${ELB}:targetgroup/checkout-blue/0123456789abcdef`,
    containerName: 'app',
    containerPort: 8080,
    advancedConfiguration: {
      alternateTargetGroupArn: `${ELB}:targetgroup/checkout-green/0123456789abcdef`,
      productionListenerRule: `${ELB}:listener-rule/app/checkout/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
      roleArn: 'arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers',
    },
  },
];
const BREAKER = { deploymentCircuitBreaker: { enable: true, rollback: true } };
const CANARY = { strategy: 'CANARY' as const, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 }, bakeTimeInMinutes: 1 };
const LINEAR = { strategy: 'LINEAR' as const, linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 1 }, bakeTimeInMinutes: 1 };
const BLUE_GREEN = { strategy: 'BLUE_GREEN' as const, bakeTimeInMinutes: 1 };
const UNDER_WAY = ['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'STOP_REQUESTED'];

let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING, PRODUCTION], deploymentDelayMs: 50, recordExchanges: true });
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20 } } });
  ecs = ecsClient(sandbox);
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs);
});

async function service(cluster = 'staging') {
  return (await ecs.send(new DescribeServicesCommand({ cluster, services: ['checkout'] }))).services![0]!;
}

/** Registers `tag` (scripted to `behaviour`) and starts its deployment under `config` in staging; answers the service deployment's ARN, or undefined for a rolling one. */
async function deploy(tag: string, behaviour: ImageBehaviour, config: Record<string, unknown>): Promise<{ arn?: string; taskDefinition: string }> {
  sandbox.setScenario({ images: { [tag]: behaviour } });
  const registered = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  const taskDefinition = registered.taskDefinition!.taskDefinitionArn!;
  await ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition, deploymentConfiguration: config, loadBalancers: LOAD_BALANCERS }));
  // Any status: a crashing image can be rolled back already, on a loaded machine, by the time this asks.
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'staging', service: 'checkout' }));
  const newest = [...(listed.serviceDeployments ?? [])].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  return { arn: newest?.serviceDeploymentArn, taskDefinition };
}

async function read(arn: string): Promise<ServiceDeployment> {
  return (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))).serviceDeployments![0]!;
}

/** Every state the deployment showed until it finished, polled; and the last one. */
async function follow(arn: string): Promise<{ seen: ServiceDeployment[]; last: ServiceDeployment }> {
  const seen: ServiceDeployment[] = [];
  const last = await until(
    async () => {
      const sd = await read(arn);
      seen.push(sd);
      return sd;
    },
    (sd) => !UNDER_WAY.includes(sd.status!),
  );
  return { seen, last };
}

async function stoppedTasksOf(taskDefinition: string) {
  const { taskArns } = await ecs.send(new ListTasksCommand({ cluster: 'staging', serviceName: 'checkout', desiredStatus: 'STOPPED' }));
  if (!taskArns?.length) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: 'staging', tasks: taskArns }))).tasks!.filter((t) => t.taskDefinitionArn === taskDefinition);
}

describe.each([
  ['CANARY', CANARY],
  ['LINEAR', LINEAR],
  ['BLUE_GREEN', BLUE_GREEN],
])('%s with the circuit breaker and rollback', (_name, strategy) => {
  it('a crashing image: green tasks fail in SCALE_UP, ROLLBACK_IN_PROGRESS then ROLLBACK_SUCCESSFUL naming the breaker, no production traffic ever on green', async () => {
    const before = (await service()).taskDefinition!;
    const { arn, taskDefinition } = await deploy('v2', 'crash', { ...strategy, ...BREAKER });
    const { seen, last } = await follow(arn!);

    // Polled, so a short state can be missed; the exact times are in ecs-native-crash-image.timeline.test.ts.
    const order = ['IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL'];
    const ranks = seen.map((sd) => order.indexOf(sd.status!));
    expect(ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1]!))).toBe(true);
    expect(seen.every((sd) => sd.targetServiceRevision!.requestedProductionTrafficWeight === 0)).toBe(true);
    expect(seen.every((sd) => (sd.targetServiceRevision!.runningTaskCount ?? 0) === 0)).toBe(true);
    expect(seen.filter((sd) => sd.status === 'IN_PROGRESS').every((sd) => ['PRE_SCALE_UP', 'SCALE_UP'].includes(sd.lifecycleStage!))).toBe(true);
    expect(last).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      lifecycleStage: 'SCALE_UP',
      deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
      rollback: { reason: 'ECS deployment circuit breaker: 3 tasks of the target service revision failed to start (threshold 3): Essential container in task exited.' },
    });
    expect(last.statusReason).toMatch(/^Rolled back to the source service revision: ECS deployment circuit breaker: 3 tasks/);

    // The failed tasks, as the rolling emulation leaves them (what Runway's crashed-task reading counts).
    const stopped = await stoppedTasksOf(taskDefinition);
    expect(stopped).toHaveLength(3);
    for (const t of stopped) expect(t).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ exitCode: 1 }] });

    // DescribeServices: back on the old revision alone, ECS's events newest first.
    const svc = await service();
    expect(svc.taskDefinition).toBe(before);
    expect(svc.deployments!.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([['PRIMARY', before, 'COMPLETED']]);
    const messages = svc.events!.map((e) => e.message!);
    const failed = messages.findIndex((m) => /\(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\. Essential container in task exited\.$/.test(m));
    const rolling = messages.findIndex((m) => /\(service deployment sandbox-sd-\d+\) rolling back: ECS deployment circuit breaker/.test(m));
    const rolledBack = messages.findIndex((m) => /rolled back to deployment ecs-svc\//.test(m));
    expect([rolledBack, rolling, failed].every((i) => i >= 0)).toBe(true);
    expect(rolledBack).toBeLessThan(rolling);
    expect(rolling).toBeLessThanOrEqual(failed);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^\(service checkout\) task [0-9a-f]{32} stopped: Essential container in task exited\.$/)]));
  });
});

it('BLUE_GREEN, an image that cannot be pulled: TaskFailedToStart tasks with no exit code, rolled back naming the pull error', async () => {
  const { arn, taskDefinition } = await deploy('v3', 'fail-to-start', { ...BLUE_GREEN, ...BREAKER });
  const { last } = await follow(arn!);
  expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
  expect(last.rollback!.reason).toMatch(/^ECS deployment circuit breaker: 3 tasks .*failed to start \(threshold 3\): CannotPullContainerError: .*checkout:v3: not found\.$/);
  const stopped = await stoppedTasksOf(taskDefinition);
  expect(stopped).toHaveLength(3);
  for (const t of stopped) {
    expect(t).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError/) });
    expect(t.containers![0]!.exitCode).toBeUndefined();
    expect(t.startedAt).toBeUndefined();
  }
});

it('LINEAR without the circuit breaker: stays IN_PROGRESS at SCALE_UP with failed tasks growing; StopServiceDeployment still rolls it back', async () => {
  const { arn } = await deploy('v4', 'crash', { ...LINEAR, deploymentCircuitBreaker: { enable: false, rollback: false } });
  const first = await until(() => read(arn!), (sd) => (sd.deploymentCircuitBreaker?.failureCount ?? 0) >= 4);
  expect(first).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP', deploymentCircuitBreaker: { status: 'DISABLED' } });
  const later = await until(() => read(arn!), (sd) => sd.deploymentCircuitBreaker!.failureCount! > first.deploymentCircuitBreaker!.failureCount!);
  expect(later).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP' });
  const primary = (await service()).deployments!.find((d) => d.status === 'PRIMARY')!;
  expect(primary).toMatchObject({ rolloutState: 'IN_PROGRESS', runningCount: 0 });
  expect(primary.failedTasks).toBeGreaterThanOrEqual(later.deploymentCircuitBreaker!.failureCount!);
  expect((await service()).events!.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/is unable to consistently start tasks successfully/)]));

  await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn!, stopType: 'ROLLBACK' }));
  const { last } = await follow(arn!);
  expect(last).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', rollback: { reason: 'StopServiceDeployment with stopType ROLLBACK.' } });
  expect((await service()).deployments).toHaveLength(1);
});

it('CANARY with the circuit breaker but no rollback: STOPPED naming the breaker, the failed revision left PRIMARY as a rolling one is, blue keeps the traffic', async () => {
  const before = (await service()).taskDefinition!;
  const { arn, taskDefinition } = await deploy('v5', 'crash', { ...CANARY, deploymentCircuitBreaker: { enable: true, rollback: false } });
  const { last } = await follow(arn!);
  expect(last).toMatchObject({ status: 'STOPPED', lifecycleStage: 'SCALE_UP', deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3 } });
  expect(last.statusReason).toMatch(/^ECS deployment circuit breaker: 3 tasks .* Rollback is not turned on/);
  expect(last.rollback).toBeUndefined();
  const svc = await service();
  expect(svc.deployments!.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
    ['PRIMARY', taskDefinition, 'FAILED'],
    ['ACTIVE', before, 'COMPLETED'],
  ]);
  expect(svc.runningCount).toBe(2);
});

it('ecs.clusterImages: a version scripted to crash in production only completes a rolling deploy in staging and fails under CANARY in production', async () => {
  const tag = 'v6';
  sandbox.setScenario({ ecs: { clusterImages: { production: { [tag]: 'crash' } } } });
  const image = `${REPO}:${tag}`;
  const staging = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image }] }))).taskDefinition!.taskDefinitionArn!;
  await ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: staging, deploymentConfiguration: BREAKER }));
  const done = await until(() => service('staging'), (s) => s.deployments!.length === 1 && s.deployments![0]!.rolloutState !== 'IN_PROGRESS');
  expect(done.deployments![0]).toMatchObject({ taskDefinition: staging, rolloutState: 'COMPLETED', failedTasks: 0 });

  const production = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-production', containerDefinitions: [{ name: 'app', image }] }))).taskDefinition!.taskDefinitionArn!;
  await ecs.send(new UpdateServiceCommand({ cluster: 'production', service: 'checkout', taskDefinition: production, deploymentConfiguration: { ...CANARY, ...BREAKER }, loadBalancers: LOAD_BALANCERS }));
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'production', service: 'checkout' }));
  const { last } = await follow(listed.serviceDeployments![0]!.serviceDeploymentArn!);
  // Nine tasks: the threshold is 0.5 × 9 rounded up, at least 3, so 5.
  expect(last).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 5, threshold: 5 } });
  expect(last.rollback!.reason).toMatch(/^ECS deployment circuit breaker: 5 tasks/);
});
