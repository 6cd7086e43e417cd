/**
 * The activities that drive ECS's own CANARY, LINEAR and BLUE_GREEN deployments
 * (activities/ecs-native.ts), run through MockActivityEnvironment against the sandbox's ECS with
 * the real @aws-sdk/client-ecs: start, wait for a PAUSE hook, answer it, roll back, wait for the
 * end; idempotent retries; the scripted faults (a hook that times out, a rollback that fails).
 * Every ECS call is held to botocore's model after each test. A sandbox minute lasts 20 ms here.
 */
import { DescribeServiceDeploymentsCommand, DescribeServiceRevisionsCommand, DescribeServicesCommand, type ECSClient, ListServiceDeploymentsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsNativeActivities, type NativeDeploymentConfig, nativeUpdateServiceRequest, type StartNativeDeploymentInput } from '../../activities/ecs-native';
import type { Sandbox } from '../../src/sandbox';
import { failureOf, quietLogger } from '../support/activity-env';
import { STAGING, useEcsSandbox } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ref = { cluster: 'staging', service: 'checkout' };
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const LOAD_BALANCER = {
  targetGroupArn: `${ELB}:targetgroup/checkout-blue/0123456789abcdef`,
  alternateTargetGroupArn: `${ELB}:targetgroup/checkout-green/0123456789abcdef`,
  productionListenerRule: `${ELB}:listener-rule/app/checkout/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
  roleArn: 'arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers',
  containerName: 'app',
  containerPort: 8080,
};
const TEST_RULE = `${ELB}:listener-rule/app/checkout/0123456789abcdef/fedcba9876543210/0123456789abcdef`;
const DAY = 1440;

const env = useEcsSandbox([STAGING]);
let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(() => {
  ({ sandbox, ecs } = env);
  sandbox.setScenario({ deploymentDelayMs: 50, ecs: { nativeDeployments: { minuteMs: 20 } } });
});

type Native = ReturnType<typeof createEcsNativeActivities>;

/** Runs one native activity as attempt `attempt` with `heartbeatDetails` (a retry), collecting its heartbeats. */
async function run<K extends keyof Native>(
  name: K,
  input: Parameters<Native[K]>[0],
  retry: { attempt?: number; heartbeatDetails?: unknown; beats?: unknown[] } = {},
): Promise<Awaited<ReturnType<Native[K]>>> {
  const env = new MockActivityEnvironment({ attempt: retry.attempt ?? 1, heartbeatDetails: retry.heartbeatDetails }, { logger: quietLogger });
  if (retry.beats) env.on('heartbeat', (d: unknown) => retry.beats!.push(d));
  const activity = createEcsNativeActivities({ ecs, options: { pollIntervalMs: 25 } })[name] as (i: typeof input) => Promise<Awaited<ReturnType<Native[K]>>>;
  return (await env.run(activity, input)) as Awaited<ReturnType<Native[K]>>;
}

async function register(tag: string): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

const currentTaskDefinition = async () => (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!.taskDefinition!;

async function read(arn: string) {
  return (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))).serviceDeployments![0]!;
}

const green = async (arn: string) => {
  const sd = await read(arn);
  return { production: sd.targetServiceRevision!.requestedProductionTrafficWeight, test: sd.targetServiceRevision!.requestedTestTrafficWeight };
};

/** The sandbox's traffic weights per task definition (/_sandbox/state). */
function trafficWeights(): { taskDefinition: string; production: number; test: number }[] {
  const clusters = sandbox.state().ecs as { clusters: { name: string; services: { serviceName: string; trafficWeights: { taskDefinition: string; production: number; test: number }[] }[] }[] };
  return clusters.clusters.find((c) => c.name === 'staging')!.services.find((s) => s.serviceName === 'checkout')!.trafficWeights;
}

const config = (overrides: Partial<NativeDeploymentConfig>): NativeDeploymentConfig => ({ strategy: 'CANARY', loadBalancer: LOAD_BALANCER, pauses: [], ...overrides });

async function start(tag: string, cfg: NativeDeploymentConfig) {
  const taskDefinition = await register(tag);
  const input: StartNativeDeploymentInput = { ...ref, taskDefinition, config: cfg };
  const beats: unknown[] = [];
  const result = await run('startNativeDeployment', input, { beats });
  return { ...result, taskDefinition, input, beats };
}

/** Answers every hook with CONTINUE until the deployment ends; what each hook showed. */
async function continueToTheEnd(arn: string): Promise<{ stages: unknown[]; end: unknown }> {
  const stages: unknown[] = [];
  for (;;) {
    const wait = await run('awaitLifecycleHook', { serviceDeploymentArn: arn, timeoutMs: 10_000 });
    if (wait.kind === 'ended') return { stages, end: wait };
    stages.push({ stage: wait.lifecycleStage, ...(await green(arn)) });
    await expect(run('answerLifecycleHook', { serviceDeploymentArn: arn, hookId: wait.hookId, action: 'CONTINUE' })).resolves.toMatchObject({ answered: true });
  }
}

const continueCalls = () => sandbox.calls().ecs.filter((c) => c.operation === 'ContinueServiceDeployment' && c.status === 200).length;

describe('a whole deployment, hook by hook', () => {
  it('CANARY: pauses before each shift and after the last, 10 % then the rest, and ends SUCCESSFUL', async () => {
    const before = await currentTaskDefinition();
    const started = await start('v2', config({ strategy: 'CANARY', canaryPercent: 10, pauses: [{ stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY }] }));
    expect(started).toMatchObject({ changed: true, previous: { taskDefinition: before, desiredCount: 2 }, serviceDeploymentArn: expect.stringContaining(':service-deployment/staging/checkout/') });
    // The state before the update was heartbeated before ECS was asked to change anything.
    expect(started.beats[0]).toEqual({ previous: started.previous, startedAtMs: expect.any(Number) });

    const { stages, end } = await continueToTheEnd(started.serviceDeploymentArn);
    expect(stages).toEqual([
      { stage: 'PRODUCTION_TRAFFIC_SHIFT', production: 0 },
      { stage: 'PRODUCTION_TRAFFIC_SHIFT', production: 10 },
      { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', production: 100 },
    ]);
    expect(end).toEqual({ kind: 'ended', status: 'SUCCESSFUL', statusReason: 'Service deployment completed.', message: 'ECS completed the deployment.' });
    await expect(run('awaitServiceDeploymentEnd', { serviceDeploymentArn: started.serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'SUCCESSFUL' });
    expect(await currentTaskDefinition()).toBe(started.taskDefinition);
    // The bakes are Runway's: ECS was told to bake for 0 minutes everywhere.
    expect((await read(started.serviceDeploymentArn)).deploymentConfiguration).toMatchObject({ strategy: 'CANARY', bakeTimeInMinutes: 0, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 } });
  });

  it('LINEAR: a hook before every step of 25 %, then SUCCESSFUL', async () => {
    const started = await start('v2', config({ strategy: 'LINEAR', stepPercent: 25, pauses: [{ stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY }] }));
    const { stages, end } = await continueToTheEnd(started.serviceDeploymentArn);
    expect(stages.map((s) => (s as { production: number }).production)).toEqual([0, 25, 50, 75]);
    expect(end).toMatchObject({ kind: 'ended', status: 'SUCCESSFUL' });
    expect(trafficWeights()).toEqual([{ taskDefinition: started.taskDefinition, production: 100, test: 0 }]);
  });

  it('BLUE_GREEN with a test listener: test traffic first (a pause to smoke-test it), then all production traffic, a pause to bake, SUCCESSFUL', async () => {
    const started = await start(
      'v2',
      config({
        strategy: 'BLUE_GREEN',
        loadBalancer: { ...LOAD_BALANCER, testListenerRule: TEST_RULE },
        pauses: [
          { stages: ['POST_TEST_TRAFFIC_SHIFT'], timeoutMinutes: 60 },
          { stages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY },
        ],
      }),
    );
    const { stages, end } = await continueToTheEnd(started.serviceDeploymentArn);
    expect(stages).toEqual([
      { stage: 'POST_TEST_TRAFFIC_SHIFT', production: 0, test: 100 },
      { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', production: 100, test: 100 },
    ]);
    expect(end).toMatchObject({ kind: 'ended', status: 'SUCCESSFUL' });
  });
});

describe('retries', () => {
  it('a second start finds the deployment the first one started: same ARN, changed false, the previous state from the heartbeat or the source revision', async () => {
    const before = await currentTaskDefinition();
    const first = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }] }));
    const again = await run('startNativeDeployment', first.input);
    expect(again).toEqual({ serviceDeploymentArn: first.serviceDeploymentArn, changed: false, previous: expect.objectContaining({ taskDefinition: first.taskDefinition }) });
    // A retry after a crash: the lost attempt's heartbeat says what ran before.
    await expect(run('startNativeDeployment', first.input, { attempt: 2, heartbeatDetails: first.beats[0] })).resolves.toEqual({
      serviceDeploymentArn: first.serviceDeploymentArn,
      changed: false,
      previous: first.previous,
    });
    // Its heartbeat never reached Temporal: the deployment's source revision says.
    await expect(run('startNativeDeployment', first.input, { attempt: 2 })).resolves.toMatchObject({
      serviceDeploymentArn: first.serviceDeploymentArn,
      changed: false,
      previous: { taskDefinition: before, desiredCount: 2 },
    });
    expect((await ecs.send(new ListServiceDeploymentsCommand(ref))).serviceDeployments).toHaveLength(1);
    expect(sandbox.calls().ecs.filter((c) => c.operation === 'UpdateService')).toHaveLength(1);
  });

  it('a retry whose lost attempt started a deployment that ECS has since rolled back finds that deployment and does not deploy again', async () => {
    const before = await currentTaskDefinition();
    const first = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }] }));
    // ECS rolls it back while no worker runs (here: stopped, as a timed-out hook would): the service is on the old revision again.
    await run('rollBackServiceDeployment', { serviceDeploymentArn: first.serviceDeploymentArn });
    await run('awaitServiceDeploymentEnd', { serviceDeploymentArn: first.serviceDeploymentArn, timeoutMs: 30_000 });
    expect(await currentTaskDefinition()).toBe(before);
    await expect(run('startNativeDeployment', first.input, { attempt: 2, heartbeatDetails: first.beats[0] })).resolves.toEqual({
      serviceDeploymentArn: first.serviceDeploymentArn,
      changed: false,
      previous: first.previous,
    });
    expect(sandbox.calls().ecs.filter((c) => c.operation === 'UpdateService')).toHaveLength(1);
    expect(await run('awaitLifecycleHook', { serviceDeploymentArn: first.serviceDeploymentArn, timeoutMs: 5_000 })).toMatchObject({ kind: 'ended', status: 'ROLLBACK_SUCCESSFUL' });
  });

  it('a start for a service already on the revision with no service deployment behind it refuses, naming why', async () => {
    const current = await currentTaskDefinition();
    const failure = await failureOf(run('startNativeDeployment', { ...ref, taskDefinition: current, config: config({}) }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidRequest' });
    expect(failure.message).toBe(`ECS service staging/checkout already runs ${current} and no service deployment targets it: there is no CANARY deployment to drive`);
  });

  it('answering a hook twice answers it once: the second finds it no longer awaiting action', async () => {
    const { serviceDeploymentArn } = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }, { stages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY }] }));
    const first = await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    expect(first).toMatchObject({ kind: 'awaiting', lifecycleStage: 'POST_SCALE_UP', status: 'IN_PROGRESS' });
    const hookId = (first as { hookId: string }).hookId;
    await expect(run('answerLifecycleHook', { serviceDeploymentArn, hookId, action: 'CONTINUE' })).resolves.toEqual({ answered: true, deploymentStatus: 'IN_PROGRESS' });
    // The retry of an attempt whose answer went through: the deployment has moved past the hook's stage.
    await expect(run('answerLifecycleHook', { serviceDeploymentArn, hookId, action: 'CONTINUE' }, { attempt: 2 })).resolves.toEqual({ answered: false, deploymentStatus: 'IN_PROGRESS' });
    expect(continueCalls()).toBe(1);

    const second = await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    expect(second).toMatchObject({ kind: 'awaiting', lifecycleStage: 'POST_PRODUCTION_TRAFFIC_SHIFT' });
    const rollbackHook = (second as { hookId: string }).hookId;
    await expect(run('answerLifecycleHook', { serviceDeploymentArn, hookId: rollbackHook, action: 'ROLLBACK' })).resolves.toEqual({ answered: true, deploymentStatus: 'ROLLBACK_IN_PROGRESS' });
    await expect(run('answerLifecycleHook', { serviceDeploymentArn, hookId: rollbackHook, action: 'ROLLBACK' }, { attempt: 2 })).resolves.toEqual({
      answered: false,
      hookStatus: 'FAILED',
      // The rollback may already have finished when the retry reads it (a loaded CI machine): either way the hook is not answered again.
      deploymentStatus: expect.stringMatching(/^ROLLBACK_(IN_PROGRESS|SUCCESSFUL)$/),
    });
    expect(continueCalls()).toBe(2);
    await expect(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toEqual({
      status: 'ROLLBACK_SUCCESSFUL',
      statusReason: `Rolled back to the source service revision: ContinueServiceDeployment answered lifecycle hook ${rollbackHook} with ROLLBACK.`,
      message: `ECS rolled the deployment back: ContinueServiceDeployment answered lifecycle hook ${rollbackHook} with ROLLBACK.`,
    });
  });

  it('a wait resumed from its heartbeat keeps its deadline', async () => {
    const { serviceDeploymentArn } = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }] }));
    await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    const failure = await failureOf(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 5_000 }, { attempt: 3, heartbeatDetails: { startedAt: Date.now() - 6_000 } }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentTimedOut' });
    expect(failure.message).toMatch(new RegExp(`^ECS service deployment ${serviceDeploymentArn} did not end within 5 s \\(IN_PROGRESS at lifecycle stage POST_SCALE_UP, PAUSE hook \\S+ awaiting action\\)$`));
  });
});

describe('rollbacks', () => {
  it('rollBackServiceDeployment moves all production traffic back at once; the end is ROLLBACK_SUCCESSFUL; a second rollback does nothing', async () => {
    const before = await currentTaskDefinition();
    const { serviceDeploymentArn, taskDefinition } = await start('v2', config({ canaryPercent: 20, pauses: [{ stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY }] }));
    const first = await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    await run('answerLifecycleHook', { serviceDeploymentArn, hookId: (first as { hookId: string }).hookId, action: 'CONTINUE' });
    await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    expect(trafficWeights()).toEqual([
      { taskDefinition: before, production: 80, test: 0 },
      { taskDefinition, production: 20, test: 0 },
    ]);

    await expect(run('rollBackServiceDeployment', { serviceDeploymentArn })).resolves.toEqual({ requested: true, status: 'ROLLBACK_IN_PROGRESS' });
    expect(trafficWeights().find((w) => w.taskDefinition === taskDefinition)?.production ?? 0).toBe(0);
    await expect(run('rollBackServiceDeployment', { serviceDeploymentArn }, { attempt: 2 })).resolves.toEqual({ requested: false, status: 'ROLLBACK_IN_PROGRESS' });

    await expect(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      message: 'ECS rolled the deployment back: StopServiceDeployment with stopType ROLLBACK.',
    });
    expect(trafficWeights()).toEqual([{ taskDefinition: before, production: 100, test: 0 }]);
    await expect(run('rollBackServiceDeployment', { serviceDeploymentArn })).resolves.toEqual({ requested: false, status: 'ROLLBACK_SUCCESSFUL' });
    await expect(run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toMatchObject({ kind: 'ended', status: 'ROLLBACK_SUCCESSFUL' });
    expect(sandbox.calls().ecs.filter((c) => c.operation === 'StopServiceDeployment')).toHaveLength(1);
  });

  it('a SUCCESSFUL deployment cannot be rolled back by ECS: requested false, for the caller to redeploy the old revision', async () => {
    const { serviceDeploymentArn } = await start('v2', config({ strategy: 'LINEAR', stepPercent: 50 }));
    await expect(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'SUCCESSFUL' });
    await expect(run('rollBackServiceDeployment', { serviceDeploymentArn })).resolves.toEqual({ requested: false, status: 'SUCCESSFUL' });
  });

  it('a hook that times out (scenario hookTimeouts): the wait for a hook ends, naming the hook ECS rolled back on', async () => {
    sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20, hookTimeouts: 1 } } });
    const { serviceDeploymentArn } = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: 30 }] }));
    const wait = await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    expect(wait).toMatchObject({ kind: 'ended', status: expect.stringMatching(/^ROLLBACK_(IN_PROGRESS|SUCCESSFUL)$/) });
    expect((wait as { message: string }).message).toMatch(/^ECS (is rolling|rolled) the deployment back: lifecycle hook \S+ timed out \(timeout action ROLLBACK\)\.$/);
    await expect(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
  });

  it('a rollback that fails (scenario failRollbacks): the wait for the end fails without retry, quoting ECS', async () => {
    sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20, failRollbacks: 1 } } });
    const { serviceDeploymentArn } = await start('v2', config({ canaryPercent: 30, pauses: [{ stages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: DAY }] }));
    await run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 10_000 });
    await expect(run('rollBackServiceDeployment', { serviceDeploymentArn })).resolves.toMatchObject({ requested: true });
    const failure = await failureOf(run('awaitServiceDeploymentEnd', { serviceDeploymentArn, timeoutMs: 10_000 }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentFailed' });
    expect(failure.message).toMatch(
      new RegExp(`^ECS service deployment ${serviceDeploymentArn} ended ROLLBACK_FAILED: ECS could not roll the deployment back: Rollback failed: the listener rules could not be restored`),
    );
  });
});

describe('timeouts', () => {
  it('a wait for a hook that never comes fails without retry, naming the deployment and its stage', async () => {
    // Green takes a minute to scale up: the deployment stays IN_PROGRESS at SCALE_UP, no hook awaiting.
    sandbox.setScenario({ deploymentDelayMs: 60_000 });
    const { serviceDeploymentArn } = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }] }));
    const beats: unknown[] = [];
    const failure = await failureOf(run('awaitLifecycleHook', { serviceDeploymentArn, timeoutMs: 200 }, { beats }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentTimedOut' });
    expect(failure.message).toBe(`ECS service deployment ${serviceDeploymentArn} reached no lifecycle hook within 0.2 s (IN_PROGRESS at lifecycle stage SCALE_UP)`);
    expect(beats.at(-1)).toEqual({ startedAt: expect.any(Number), status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP' });
  });

  it('an unknown service deployment fails without retry', async () => {
    const arn = 'arn:aws:ecs:us-east-1:000000000000:service-deployment/staging/checkout/sandbox-sd-999';
    await expect(failureOf(run('awaitLifecycleHook', { serviceDeploymentArn: arn, timeoutMs: 1000 }))).resolves.toMatchObject({
      nonRetryable: true,
      type: 'NotFound',
      message: `ECS service deployment ${arn} not found (MISSING)`,
    });
  });
});

describe('the UpdateService request', () => {
  const input = (cfg: Partial<NativeDeploymentConfig>): StartNativeDeploymentInput => ({ ...ref, taskDefinition: 'td', config: config(cfg) });

  it('sets the strategy with every bake time 0, one PAUSE hook per pause with timeout action ROLLBACK, and the advanced load balancer configuration', () => {
    expect(nativeUpdateServiceRequest(input({ canaryPercent: 10, pauses: [{ stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: 30 }] }))).toEqual({
      cluster: 'staging',
      service: 'checkout',
      taskDefinition: 'td',
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        strategy: 'CANARY',
        bakeTimeInMinutes: 0,
        canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 },
        lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 30, action: 'ROLLBACK' } }],
      },
      loadBalancers: [
        {
          targetGroupArn: LOAD_BALANCER.targetGroupArn,
          containerName: 'app',
          containerPort: 8080,
          advancedConfiguration: { alternateTargetGroupArn: LOAD_BALANCER.alternateTargetGroupArn, productionListenerRule: LOAD_BALANCER.productionListenerRule, roleArn: LOAD_BALANCER.roleArn },
        },
      ],
    });
    expect(nativeUpdateServiceRequest(input({ strategy: 'LINEAR', stepPercent: 20 })).deploymentConfiguration).toMatchObject({ linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: 0 }, lifecycleHooks: [] });
    expect(nativeUpdateServiceRequest(input({ strategy: 'BLUE_GREEN' })).deploymentConfiguration).not.toHaveProperty('canaryConfiguration');
  });

  it.each<[string, Partial<NativeDeploymentConfig>]>([
    ['CANARY with ECS default percent', { strategy: 'CANARY' }],
    ['LINEAR', { strategy: 'LINEAR', stepPercent: 10, pauses: [{ stages: ['POST_SCALE_UP', 'PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: 20160 }] }],
    ['BLUE_GREEN with a test listener', { strategy: 'BLUE_GREEN', loadBalancer: { ...LOAD_BALANCER, testListenerRule: TEST_RULE }, pauses: [{ stages: ['POST_TEST_TRAFFIC_SHIFT'], timeoutMinutes: 1 }] }],
  ])('is accepted by the sandbox, held to the ECS model: %s', async (_name, cfg) => {
    const taskDefinition = await register('v2');
    const request = nativeUpdateServiceRequest({ ...ref, taskDefinition, config: config(cfg) });
    await run('startNativeDeployment', { ...ref, taskDefinition, config: config(cfg) });
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
    expect(service.deploymentConfiguration).toEqual(request.deploymentConfiguration);
    expect(service.loadBalancers).toEqual(request.loadBalancers);
  });

  it('refused by ECS (linear steps of 2 %): fails without retry, quoting ECS', async () => {
    const taskDefinition = await register('v2');
    const failure = await failureOf(run('startNativeDeployment', { ...ref, taskDefinition, config: config({ strategy: 'LINEAR', stepPercent: 2 }) }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidRequest' });
    expect(failure.message).toMatch(/^updating ECS service staging\/checkout to \S+ with the LINEAR strategy: InvalidParameterException: deploymentConfiguration\.linearConfiguration\.stepPercent must be/);
  });
});

describe('the sandbox: DescribeServiceRevisions', () => {
  it('answers the task definition and images of a service deployment\'s source and target revisions; unknown ARNs are MISSING', async () => {
    const before = await currentTaskDefinition();
    const { serviceDeploymentArn, taskDefinition } = await start('v2', config({ pauses: [{ stages: ['POST_SCALE_UP'], timeoutMinutes: DAY }] }));
    const sd = await read(serviceDeploymentArn);
    const source = sd.sourceServiceRevisions![0]!.arn!;
    const target = sd.targetServiceRevision!.arn!;
    const missing = target.replace(/\d+$/, '9');
    const out = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [source, target, missing] }));
    expect(out.serviceRevisions).toEqual([
      expect.objectContaining({ serviceRevisionArn: source, taskDefinition: before, containerImages: [{ containerName: 'app', image: `${REPO}:initial` }], createdAt: expect.any(Date) }),
      expect.objectContaining({ serviceRevisionArn: target, taskDefinition, containerImages: [{ containerName: 'app', image: `${REPO}:v2` }] }),
    ]);
    expect(out.failures).toEqual([{ arn: missing, reason: 'MISSING' }]);
    await expect(ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: Array.from({ length: 21 }, () => target) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
