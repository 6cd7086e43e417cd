/**
 * ECS's own deployment strategies (CANARY, LINEAR, BLUE_GREEN) in the sandbox, through the real
 * @aws-sdk/client-ecs: service deployments through their lifecycle stages, PAUSE hooks answered
 * with ContinueServiceDeployment, StopServiceDeployment, the scripted faults (a hook that times
 * out at once, a rollback that fails) and configurations ECS refuses. Every call is held to
 * botocore's ECS model. A sandbox minute lasts 20 ms here; exact timings are in
 * ecs-native-timeline.test.ts.
 */
import {
  ContinueServiceDeploymentCommand,
  type DeploymentConfiguration,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type LoadBalancer,
  RegisterTaskDefinitionCommand,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, STAGING, until } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ref = { cluster: 'staging', service: 'checkout' };
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const ADVANCED = {
  alternateTargetGroupArn: `${ELB}:targetgroup/checkout-green/0123456789abcdef`,
  productionListenerRule: `${ELB}:listener-rule/app/checkout/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
  roleArn: 'arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers',
};
const TEST_RULE = `${ELB}:listener-rule/app/checkout/0123456789abcdef/fedcba9876543210/0123456789abcdef`;
const LOAD_BALANCERS: LoadBalancer[] = [
  { targetGroupArn: `${ELB}:targetgroup/checkout-blue/0123456789abcdef`, containerName: 'app', containerPort: 8080, advancedConfiguration: ADVANCED },
];
const WITH_TEST_LISTENER: LoadBalancer[] = [{ ...LOAD_BALANCERS[0], advancedConfiguration: { ...ADVANCED, testListenerRule: TEST_RULE } }];
const pause = (...stages: string[]) => ({ targetType: 'PAUSE' as const, lifecycleStages: stages as never });

let sandbox: Sandbox;
let ecs: ECSClient;
let refusalsExpected = false;

beforeEach(async () => {
  refusalsExpected = false;
  sandbox = await startSandbox({ port: 0, services: [STAGING], deploymentDelayMs: 50, recordExchanges: true });
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20 } } });
  ecs = ecsClient(sandbox);
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs, { allowRefusedRequests: refusalsExpected });
});

async function register(tag: string): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

async function service() {
  return (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
}

/** Starts a deployment of `tag` under `config` and answers its service deployment's ARN. */
async function deploy(tag: string, config: DeploymentConfiguration, loadBalancers = LOAD_BALANCERS): Promise<{ arn: string; taskDefinition: string }> {
  const taskDefinition = await register(tag);
  await ecs.send(new UpdateServiceCommand({ ...ref, taskDefinition, deploymentConfiguration: config, loadBalancers }));
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ ...ref, status: ['IN_PROGRESS'] }));
  expect(listed.serviceDeployments).toHaveLength(1);
  return { arn: listed.serviceDeployments![0]!.serviceDeploymentArn!, taskDefinition };
}

async function read(arn: string): Promise<ServiceDeployment> {
  const out = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  expect(out.failures).toEqual([]);
  return out.serviceDeployments![0]!;
}

const awaitingHook = (sd: ServiceDeployment) => sd.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');

/** Waits for the deployment to pause at a hook; answers the deployment as it is then, and the hook. */
async function paused(arn: string) {
  const sd = await until(() => read(arn), (d) => awaitingHook(d) !== undefined || d.status !== 'IN_PROGRESS');
  const hook = awaitingHook(sd);
  if (!hook) throw new Error(`expected a hook awaiting action, deployment is ${sd.status}: ${sd.statusReason}`);
  return { sd, hookId: hook.hookId! };
}

const weights = (sd: ServiceDeployment) => ({
  stage: sd.lifecycleStage,
  blue: sd.sourceServiceRevisions![0]!.requestedProductionTrafficWeight,
  green: sd.targetServiceRevision!.requestedProductionTrafficWeight,
});

const finished = (arn: string) => until(() => read(arn), (d) => !['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'].includes(d.status!));

/** The sandbox's traffic weights per task definition (what its Prometheus numbers are to follow). */
function trafficWeights(): { taskDefinition: string; production: number; test: number }[] {
  const clusters = sandbox.state().ecs as { clusters: { name: string; services: { serviceName: string; trafficWeights: { taskDefinition: string; production: number; test: number }[] }[] }[] };
  return clusters.clusters.find((c) => c.name === 'staging')!.services.find((s) => s.serviceName === 'checkout')!.trafficWeights;
}

it('CANARY with PAUSE hooks: stops before each shift and after the last, moves 10 % then the rest, and ends SUCCESSFUL on the new revision', async () => {
  const before = (await service()).taskDefinition!;
  const { arn, taskDefinition } = await deploy('v2', {
    strategy: 'CANARY',
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 },
    bakeTimeInMinutes: 1,
    lifecycleHooks: [pause('PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT')],
  });
  const seen: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const { sd, hookId } = await paused(arn);
    seen.push(weights(sd));
    if (i === 1) {
      expect(trafficWeights()).toEqual([
        { taskDefinition: before, production: 90, test: 0 },
        { taskDefinition, production: 10, test: 0 },
      ]);
      // Both revisions run while traffic is split.
      expect((await service()).deployments!.map((d) => [d.status, d.taskDefinition, d.runningCount])).toEqual([
        ['PRIMARY', taskDefinition, 2],
        ['ACTIVE', before, 2],
      ]);
    }
    await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId, action: 'CONTINUE' }));
  }
  expect(seen).toEqual([
    { stage: 'PRODUCTION_TRAFFIC_SHIFT', blue: 100, green: 0 },
    { stage: 'PRODUCTION_TRAFFIC_SHIFT', blue: 90, green: 10 },
    { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', blue: 0, green: 100 },
  ]);
  const done = await finished(arn);
  expect(done).toMatchObject({ status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP', deploymentConfiguration: { strategy: 'CANARY' } });
  expect(done.finishedAt).toBeInstanceOf(Date);
  const after = await until(service, (s) => s.deployments!.length === 1);
  expect(after.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition, rolloutState: 'COMPLETED', runningCount: 2 })]);
  expect(after.loadBalancers).toEqual(LOAD_BALANCERS);
  expect(trafficWeights()).toEqual([{ taskDefinition, production: 100, test: 0 }]);
  const brief = (await ecs.send(new ListServiceDeploymentsCommand(ref))).serviceDeployments!;
  expect(brief).toEqual([expect.objectContaining({ serviceDeploymentArn: arn, status: 'SUCCESSFUL', targetServiceRevisionArn: done.targetServiceRevision!.arn })]);
});

it('LINEAR without hooks: shifts in steps and ends SUCCESSFUL; each step is paused at with a PRE_PRODUCTION_TRAFFIC_SHIFT hook', async () => {
  const { arn, taskDefinition } = await deploy('v2', {
    strategy: 'LINEAR',
    linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    lifecycleHooks: [pause('PRE_PRODUCTION_TRAFFIC_SHIFT')],
  });
  const seen: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const { sd, hookId } = await paused(arn);
    seen.push(weights(sd).green);
    await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId }));
  }
  expect(seen).toEqual([0, 25, 50, 75]);
  await expect(finished(arn)).resolves.toMatchObject({ status: 'SUCCESSFUL', targetServiceRevision: { requestedProductionTrafficWeight: 100 } });
  expect(trafficWeights()).toEqual([{ taskDefinition, production: 100, test: 0 }]);

  // The next linear deployment, with no hooks, runs to the end on its own.
  const next = await deploy('v3', { lifecycleHooks: [] });
  await expect(finished(next.arn)).resolves.toMatchObject({ status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP' });
  expect((await ecs.send(new ListServiceDeploymentsCommand(ref))).serviceDeployments!.map((d) => d.status)).toEqual(['SUCCESSFUL', 'SUCCESSFUL']);
});

it('BLUE_GREEN with a test listener: green takes all test traffic first, all production traffic at once, and a hook answered ROLLBACK returns it to blue', async () => {
  const before = (await service()).taskDefinition!;
  const { arn, taskDefinition } = await deploy('v2', { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1, lifecycleHooks: [pause('POST_TEST_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT')] }, WITH_TEST_LISTENER);
  const test = await paused(arn);
  expect(test.sd.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  expect(test.sd.targetServiceRevision).toMatchObject({ requestedTestTrafficWeight: 100, requestedProductionTrafficWeight: 0, runningTaskCount: 2 });
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: test.hookId, action: 'CONTINUE' }));

  const prod = await paused(arn);
  expect(weights(prod.sd)).toEqual({ stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', blue: 0, green: 100 });
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: prod.hookId, action: 'ROLLBACK' }));
  // Traffic is back on blue as soon as the rollback is asked for.
  expect(weights(await read(arn))).toMatchObject({ blue: 100, green: 0 });
  expect(trafficWeights().find((w) => w.taskDefinition === taskDefinition)?.production ?? 0).toBe(0);

  const done = await finished(arn);
  expect(done).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', rollback: { reason: expect.stringContaining(`lifecycle hook ${prod.hookId} with ROLLBACK`) } });
  expect(done.lifecycleHookDetails).toEqual([expect.objectContaining({ hookId: prod.hookId, status: 'FAILED', targetType: 'PAUSE' })]);
  const after = await service();
  expect(after.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: before, rolloutState: 'COMPLETED', runningCount: 2 })]);
  expect(trafficWeights()).toEqual([{ taskDefinition: before, production: 100, test: 0 }]);
});

it('StopServiceDeployment(ROLLBACK) rolls back a deployment paused mid-canary; a finished deployment can no longer be stopped', async () => {
  const before = (await service()).taskDefinition!;
  const { arn } = await deploy('v2', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 20, canaryBakeTimeInMinutes: 0 }, lifecycleHooks: [pause('POST_PRODUCTION_TRAFFIC_SHIFT')] });
  await paused(arn);
  await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
  await expect(finished(arn)).resolves.toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', rollback: { reason: 'StopServiceDeployment with stopType ROLLBACK.' } });
  expect((await service()).deployments!.map((d) => d.taskDefinition)).toEqual([before]);
  await expect(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }))).rejects.toMatchObject({
    name: 'ConflictException',
    message: 'The service deployment is ROLLBACK_SUCCESSFUL and can no longer be stopped.',
  });
});

it('scripted hook timeouts: the hook times out as soon as it is reached and its timeout action (ROLLBACK) rolls back', async () => {
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20, hookTimeouts: 1 } } });
  const { arn } = await deploy('v2', {
    strategy: 'CANARY',
    canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 1 },
    lifecycleHooks: [{ ...pause('POST_SCALE_UP'), timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' } }],
  });
  const done = await finished(arn);
  expect(done).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', lifecycleStage: 'POST_SCALE_UP', rollback: { reason: expect.stringMatching(/^lifecycle hook \S+ timed out \(timeout action ROLLBACK\)\.$/) } });
  expect(done.lifecycleHookDetails).toEqual([expect.objectContaining({ status: 'TIMED_OUT', timeoutAction: 'ROLLBACK' })]);
  // Consumed: the next deployment's hook waits again.
  expect(sandbox.scenario().ecs?.nativeDeployments).toEqual({ minuteMs: 20, hookTimeouts: 0 });
  const next = await deploy('v3', {});
  await expect(paused(next.arn)).resolves.toMatchObject({ sd: { lifecycleStage: 'POST_SCALE_UP' } });
});

it('a hook whose timeout action is CONTINUE lets the deployment go on when it times out', async () => {
  const { arn } = await deploy('v2', { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [{ ...pause('PRE_SCALE_UP'), timeoutConfiguration: { timeoutInMinutes: 1, action: 'CONTINUE' } }] });
  await expect(finished(arn)).resolves.toMatchObject({ status: 'SUCCESSFUL' });
});

it('scripted failing rollback: ends ROLLBACK_FAILED with the traffic where it was and the new revision failed', async () => {
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20, failRollbacks: 1 } } });
  const before = (await service()).taskDefinition!;
  const { arn, taskDefinition } = await deploy('v2', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 30, canaryBakeTimeInMinutes: 0 }, lifecycleHooks: [pause('PRE_PRODUCTION_TRAFFIC_SHIFT')] });
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: (await paused(arn)).hookId }));
  const second = await paused(arn);
  expect(weights(second.sd).green).toBe(30);
  await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
  const done = await finished(arn);
  expect(done.status).toBe('ROLLBACK_FAILED');
  expect(done.statusReason).toMatch(/^Rollback failed: /);
  expect(weights(done)).toMatchObject({ blue: 70, green: 30 });
  expect(trafficWeights()).toEqual([
    { taskDefinition: before, production: 70, test: 0 },
    { taskDefinition, production: 30, test: 0 },
  ]);
  expect((await service()).deployments!.map((d) => [d.status, d.rolloutState])).toEqual([
    ['PRIMARY', 'FAILED'],
    ['ACTIVE', 'COMPLETED'],
  ]);
});

it('a new deployment supersedes one under way: the old one is STOPPED and its green tasks go', async () => {
  const first = await deploy('v2', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 }, lifecycleHooks: [pause('POST_SCALE_UP')] });
  await paused(first.arn);
  const second = await deploy('v3', {});
  expect(await read(first.arn)).toMatchObject({ status: 'STOPPED', statusReason: expect.stringContaining('Superseded by service deployment') });
  expect((await service()).deployments!.map((d) => d.taskDefinition)).not.toContain(first.taskDefinition);
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: second.arn, hookId: (await paused(second.arn)).hookId }));
  await expect(finished(second.arn)).resolves.toMatchObject({ status: 'SUCCESSFUL' });
});

describe('refusals', () => {
  beforeEach(() => {
    refusalsExpected = true;
  });

  const cases: [string, DeploymentConfiguration, LoadBalancer[] | undefined, string][] = [
    ['no load balancer', { strategy: 'CANARY' }, [], 'loadBalancers must be provided for the CANARY deployment strategy.'],
    ['no advancedConfiguration', { strategy: 'LINEAR' }, [{ targetGroupArn: LOAD_BALANCERS[0]!.targetGroupArn }], 'loadBalancers[0].advancedConfiguration must be provided'],
    ['no roleArn', { strategy: 'LINEAR' }, [{ ...LOAD_BALANCERS[0], advancedConfiguration: { ...ADVANCED, roleArn: undefined } }], 'loadBalancers[0].advancedConfiguration.roleArn must be provided'],
    ['canary settings on a linear deployment', { strategy: 'LINEAR', canaryConfiguration: { canaryPercent: 5 } }, undefined, 'deploymentConfiguration.canaryConfiguration can only be specified'],
    ['a canary of 0.05 %', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 0.05 } }, undefined, 'deploymentConfiguration.canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1'],
    ['linear steps of 2 %', { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2 } }, undefined, 'deploymentConfiguration.linearConfiguration.stepPercent must be a multiple of 0.1 from 3'],
    ['a step bake of 2 days', { strategy: 'LINEAR', linearConfiguration: { stepBakeTimeInMinutes: 2880 } }, undefined, 'deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes'],
    ['blue-green without bake time', { strategy: 'BLUE_GREEN' }, undefined, 'deploymentConfiguration.bakeTimeInMinutes must be provided when the deployment strategy is BLUE_GREEN.'],
    ['a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT', { strategy: 'CANARY', lifecycleHooks: [pause('PRODUCTION_TRAFFIC_SHIFT')] }, undefined, 'deploymentConfiguration.lifecycleHooks[0].lifecycleStages: PAUSE hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT stage'],
    ['a PAUSE hook with a target', { strategy: 'CANARY', lifecycleHooks: [{ ...pause('POST_SCALE_UP'), hookTargetArn: 'arn:aws:lambda:us-east-1:000000000000:function:x' }] }, undefined, 'deploymentConfiguration.lifecycleHooks[0].hookTargetArn is not applicable'],
    ['a Lambda hook without a function', { strategy: 'CANARY', lifecycleHooks: [{ lifecycleStages: ['POST_SCALE_UP'], roleArn: ADVANCED.roleArn }] }, undefined, 'deploymentConfiguration.lifecycleHooks[0].hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.'],
    ['a hook without stages', { strategy: 'CANARY', lifecycleHooks: [{ targetType: 'PAUSE' }] }, undefined, 'deploymentConfiguration.lifecycleHooks[0].lifecycleStages must be provided.'],
    ['hooks on a rolling service', { lifecycleHooks: [pause('POST_SCALE_UP')] }, undefined, 'deploymentConfiguration.lifecycleHooks are only supported with the BLUE_GREEN, LINEAR and CANARY'],
    ['an unknown strategy', { strategy: 'RED_BLACK' as never }, undefined, 'deploymentConfiguration.strategy'],
  ];

  it.each(cases)('refuses %s, naming the member, and leaves the service as it was', async (_name, deploymentConfiguration, loadBalancers, message) => {
    const before = await service();
    const taskDefinition = await register('v2');
    const update = ecs.send(new UpdateServiceCommand({ ...ref, taskDefinition, deploymentConfiguration, loadBalancers: loadBalancers ?? LOAD_BALANCERS }));
    await expect(update).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining(message) });
    const after = await service();
    expect(after.deploymentConfiguration).toEqual(before.deploymentConfiguration);
    expect(after.loadBalancers).toEqual([]);
    expect(after.deployments!.map((d) => d.taskDefinition)).toEqual([before.taskDefinition]);
    expect((await ecs.send(new ListServiceDeploymentsCommand(ref))).serviceDeployments).toEqual([]);
  });

  it('refuses hook answers that do not fit: an unknown deployment, a hook not awaiting action, ABORT', async () => {
    const { arn } = await deploy('v2', { strategy: 'CANARY', lifecycleHooks: [pause('PRE_SCALE_UP')] });
    const { hookId } = await paused(arn);
    const unknown = arn.replace(/[^/]+$/, 'sandbox-sd-999');
    await expect(ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: unknown, hookId }))).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
    await expect(ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: 'no-such-hook' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'hookId no-such-hook is not a lifecycle hook awaiting action in this service deployment.',
    });
    await expect(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ABORT' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const missing = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [unknown] }));
    expect(missing.failures).toEqual([{ arn: unknown, reason: 'MISSING' }]);
    // The refused answers changed nothing: the hook still waits.
    expect(awaitingHook(await read(arn))?.hookId).toBe(hookId);
  });
});
