/**
 * Metrics by revision and the test listener under ECS's own strategies, in the sandbox: a real
 * native CANARY / BLUE_GREEN deployment driven through @aws-sdk/client-ecs, then the sandbox's
 * Prometheus read through Runway's provider with DEFAULT_REVISION_QUERIES (each revision's share
 * of requests is its production traffic weight; its numbers follow the scenario for its image),
 * and the health endpoint reached through the test listener (green once test traffic moved).
 */
import {
  ContinueServiceDeploymentCommand,
  type DeploymentConfiguration,
  DescribeServiceDeploymentsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type LoadBalancer,
  RegisterTaskDefinitionCommand,
  type ServiceDeployment,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DEFAULT_QUERIES } from '../../src/config/schema';
import { createPrometheusProvider } from '../../src/metrics/prometheus';
import { DEFAULT_REVISION_QUERIES } from '../../src/config/revision-queries';
import { taskRevision } from '../../src/metrics/task-revision';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, getJson, PRODUCTION, until } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ref = { cluster: 'production', service: 'checkout' };
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const ADVANCED = {
  alternateTargetGroupArn: `${ELB}:targetgroup/checkout-green/0123456789abcdef`,
  productionListenerRule: `${ELB}:listener-rule/app/checkout/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
  roleArn: 'arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers',
};
const LOAD_BALANCERS: LoadBalancer[] = [
  { targetGroupArn: `${ELB}:targetgroup/checkout-blue/0123456789abcdef`, containerName: 'app', containerPort: 8080, advancedConfiguration: ADVANCED },
];
const WITH_TEST_LISTENER: LoadBalancer[] = [
  { ...LOAD_BALANCERS[0], advancedConfiguration: { ...ADVANCED, testListenerRule: `${ELB}:listener-rule/app/checkout/0123456789abcdef/fedcba9876543210/0123456789abcdef` } },
];
const pause = (...stages: string[]) => ({ targetType: 'PAUSE' as const, lifecycleStages: stages as never });

let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(async () => {
  sandbox = await startSandbox({
    port: 0,
    services: [PRODUCTION],
    deploymentDelayMs: 50,
    recordExchanges: true,
    // Under ECS's own strategies there is one ECS service: the stable target is the only one.
    metricsTargets: [{ service: 'checkout', environment: 'production', track: 'stable', cluster: 'production', ecsService: 'checkout' }],
  });
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 50 } }, traffic: { rps: 1000 } });
  ecs = ecsClient(sandbox);
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs);
});

const provider = (queries = DEFAULT_REVISION_QUERIES) => createPrometheusProvider({ baseUrl: `${sandbox.url}/prometheus`, queries });
/** The numbers of one task definition revision over 10 s. */
const byRevision = (taskDefinition: string, track: 'canary' | 'stable' = 'canary') =>
  provider().trackMetrics({ service: 'checkout', environment: 'production', track, windowMs: 10_000, revision: taskRevision(taskDefinition) });
const NO_DATA = { requests: undefined, errorRate: undefined, p99Ms: undefined };

async function register(tag: string): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-production', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

/** Starts a native deployment of `tag`; answers the service deployment's ARN and green's task definition. */
async function deploy(tag: string, config: DeploymentConfiguration, loadBalancers = LOAD_BALANCERS) {
  const green = await register(tag);
  await ecs.send(new UpdateServiceCommand({ ...ref, taskDefinition: green, deploymentConfiguration: config, loadBalancers }));
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ ...ref, status: ['IN_PROGRESS'] }));
  return { arn: listed.serviceDeployments![0]!.serviceDeploymentArn!, green };
}

const read = async (arn: string): Promise<ServiceDeployment> =>
  (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))).serviceDeployments![0]!;

/** Waits for the deployment to stop at a hook; answers it then, with the hook's id. */
async function paused(arn: string) {
  const awaiting = (d: ServiceDeployment) => d.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');
  const sd = await until(() => read(arn), (d) => awaiting(d) !== undefined || d.status !== 'IN_PROGRESS');
  const hook = awaiting(sd);
  if (!hook) throw new Error(`expected a hook awaiting action, deployment is ${sd.status}: ${sd.statusReason}`);
  return { sd, hookId: hook.hookId! };
}

const answer = (arn: string, hookId: string, action: 'CONTINUE' | 'ROLLBACK' = 'CONTINUE') =>
  ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId, action }));

/** Blue: the revision the sandbox seeded the service with. */
const seededRevision = 'checkout-production:1';

describe('Prometheus by task_revision under a native CANARY', () => {
  const CANARY: DeploymentConfiguration = {
    strategy: 'CANARY',
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 },
    bakeTimeInMinutes: 1,
    lifecycleHooks: [pause('PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT')],
  };

  it('gives green no data at 0 %, its canary share of requests after the shift, and all of them at 100 %', async () => {
    const { arn, green } = await deploy('v2', CANARY);
    expect(taskRevision(green)).toBe('checkout-production:2');

    // Green runs its tasks but gets no traffic before the first shift.
    const first = await paused(arn);
    expect(first.sd.targetServiceRevision).toMatchObject({ requestedProductionTrafficWeight: 0 });
    expect(await byRevision(green)).toEqual(NO_DATA);
    expect(await byRevision(seededRevision, 'stable')).toEqual({ requests: 10_000, errorRate: 0.002, p99Ms: 120 });
    await answer(arn, first.hookId);

    const canary = await paused(arn);
    expect(canary.sd.targetServiceRevision).toMatchObject({ requestedProductionTrafficWeight: 10 });
    // 10 % of 1000 req/s over 10 s, exactly: the weight, not a share of tasks.
    expect(await byRevision(green)).toEqual({ requests: 1000, errorRate: 0.002, p99Ms: 120 });
    expect(await byRevision(seededRevision, 'stable')).toEqual({ requests: 9000, errorRate: 0.002, p99Ms: 120 });
    // Queries by track keep answering as before: the one target, the service's serving revision.
    const byTrack = await provider(DEFAULT_QUERIES).trackMetrics({ service: 'checkout', environment: 'production', track: 'stable', windowMs: 10_000 });
    expect(byTrack).toEqual({ requests: 10_000, errorRate: 0.002, p99Ms: 120 });
    expect(sandbox.calls().prometheus.at(-1)).toMatchObject({ request: { query: expect.stringContaining('track="stable"') } });
    await answer(arn, canary.hookId);

    const all = await paused(arn);
    expect(all.sd.targetServiceRevision).toMatchObject({ requestedProductionTrafficWeight: 100 });
    expect(await byRevision(green)).toEqual({ requests: 10_000, errorRate: 0.002, p99Ms: 120 });
    expect(await byRevision(seededRevision, 'stable')).toEqual(NO_DATA);
    await answer(arn, all.hookId);
    await until(() => read(arn), (d) => d.status === 'SUCCESSFUL');
    // A plain (no longer split) service: its serving revision has all the traffic.
    expect((await byRevision(green)).requests).toBe(10_000);
  });

  it('makes a green revision scripted as errors look bad on its share only, and takes it away on rollback', async () => {
    sandbox.setScenario({ canary: { bad: { behaviour: 'errors' } } });
    const { arn, green } = await deploy('bad', CANARY);
    await answer(arn, (await paused(arn)).hookId);
    const canary = await paused(arn);
    expect(await byRevision(green)).toEqual({ requests: 1000, errorRate: 0.15, p99Ms: 120 });
    expect(await byRevision(seededRevision, 'stable')).toEqual({ requests: 9000, errorRate: 0.002, p99Ms: 120 });

    await answer(arn, canary.hookId, 'ROLLBACK');
    // Traffic returns to blue as soon as the rollback is asked for.
    expect(await byRevision(green)).toEqual(NO_DATA);
    expect((await byRevision(seededRevision, 'stable')).requests).toBe(10_000);
    await until(() => read(arn), (d) => d.status === 'ROLLBACK_SUCCESSFUL');
    expect(await byRevision(green)).toEqual(NO_DATA);
  });

  it('turns a revision bad only afterMs after its deployment started, and answers nothing for a revision never deployed', async () => {
    sandbox.setScenario({ canary: { late: { behaviour: 'latency', afterMs: 60_000 } } });
    const { arn, green } = await deploy('late', CANARY);
    await answer(arn, (await paused(arn)).hookId);
    await paused(arn);
    expect((await byRevision(green)).p99Ms).toBe(120);
    sandbox.setScenario({ canary: { late: { behaviour: 'latency', afterMs: 0 } } });
    expect((await byRevision(green)).p99Ms).toBe(360);
    expect(await byRevision('checkout-production:99')).toEqual(NO_DATA);
    expect(
      await provider().trackMetrics({ service: 'payments', environment: 'production', track: 'canary', windowMs: 10_000, revision: taskRevision(green) }),
    ).toEqual(NO_DATA);
  });
});

describe('the test listener', () => {
  const testHealth = () => getJson(`${sandbox.url}/services/production/checkout/test-listener/health`);
  const health = () => getJson(`${sandbox.url}/services/production/checkout/health`);

  it('answers as blue until test traffic moves, then as green while production still answers blue', async () => {
    sandbox.setScenario({ images: { [`${REPO}:green`]: 'unhealthy' } });
    expect(await testHealth()).toMatchObject({ status: 200, body: { status: 'ok', image: PRODUCTION.image } });
    const { arn, green } = await deploy('green', { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1, lifecycleHooks: [pause('POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT')] }, WITH_TEST_LISTENER);

    // Green runs, but the test listener still reaches blue.
    const scaledUp = await paused(arn);
    expect(scaledUp.sd.lifecycleStage).toBe('POST_SCALE_UP');
    expect(await testHealth()).toMatchObject({ status: 200, body: { image: PRODUCTION.image } });
    await answer(arn, scaledUp.hookId);

    const tested = await paused(arn);
    expect(tested.sd).toMatchObject({ lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', targetServiceRevision: { requestedTestTrafficWeight: 100, requestedProductionTrafficWeight: 0 } });
    // The smoke test reaches green (unhealthy here) before any production traffic moves.
    expect(await testHealth()).toEqual({ status: 503, body: expect.objectContaining({ status: 'unhealthy', image: `${REPO}:green`, taskDefinition: green }) as unknown });
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', image: PRODUCTION.image } });
    sandbox.setScenario({ images: { [`${REPO}:green`]: 'healthy' } });
    expect(await testHealth()).toMatchObject({ status: 200, body: { status: 'ok', image: `${REPO}:green` } });
    expect(sandbox.calls().health.map((c) => c.operation)).toContain('GET test-listener health production/checkout');

    await answer(arn, tested.hookId, 'ROLLBACK');
    await until(() => read(arn), (d) => d.status === 'ROLLBACK_SUCCESSFUL');
    expect(await testHealth()).toMatchObject({ status: 200, body: { image: PRODUCTION.image } });
  });

  it('answers as the serving revision without a test listener rule, and 404 for an unknown service', async () => {
    const { arn } = await deploy('v2', { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1, lifecycleHooks: [pause('POST_TEST_TRAFFIC_SHIFT')] });
    const tested = await paused(arn);
    expect(tested.sd.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
    expect(await testHealth()).toMatchObject({ status: 200, body: { image: PRODUCTION.image } });
    expect(await getJson(`${sandbox.url}/services/production/nope/test-listener/health`)).toMatchObject({ status: 404 });
    await answer(arn, tested.hookId);
  });
});
