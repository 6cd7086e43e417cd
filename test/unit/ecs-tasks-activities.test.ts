/**
 * countCrashedTasks and runMigration through the real ECS client against a started sandbox:
 * crashed-task counting across pages and batches, migration verdicts, and resuming a migration
 * from heartbeat details (or, without them, from ECS's clientToken) without a second task.
 */
import { DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createMigrationActivities, MIGRATION_FAILED, migrationClientToken, type RunMigrationInput } from '../../activities/ecs-migration';
import { createEcsTaskActivities } from '../../activities/ecs-tasks';
import { type Sandbox, type SandboxServiceSeed, startSandbox } from '../../src/sandbox';
import { failureOf, quietLogger } from '../support/activity-env';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const STAGING: SandboxServiceSeed = { cluster: 'staging', service: 'checkout', family: 'checkout-staging', container: 'app', image: `${REPO}:initial`, desiredCount: 2 };
const BIG: SandboxServiceSeed = { ...STAGING, service: 'big', family: 'big', desiredCount: 120 };

let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING, BIG], deploymentDelayMs: 100 });
  ecs = new ECSClient({ endpoint: sandbox.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
});

const env = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: quietLogger });

/** MockActivityEnvironment.run does not infer the result type from the function; this does. */
function run<A extends unknown[], R>(e: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return e.run(fn, ...args) as Promise<R>;
}


/** Deploys with the circuit breaker on (no rollback), so a crashing rollout fails after its first round, as Runway's own updates do. */
async function deploy(service: string, family: string, tag: string): Promise<string> {
  const td = await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  const arn = td.taskDefinition!.taskDefinitionArn!;
  await ecs.send(
    new UpdateServiceCommand({ cluster: 'staging', service, taskDefinition: arn, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } }),
  );
  return arn;
}

/** Polls an activity result until `done` holds; state, not wall-clock time. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('countCrashedTasks', () => {
  it('counts the crashed tasks of one revision with their reasons, not tasks stopped by a rollout', async () => {
    const acts = createEcsTaskActivities({ ecs });
    sandbox.setScenario({ images: { bad: 'crash' } });
    const bad = await deploy('checkout', 'checkout-staging', 'bad');
    const result = await until(() => run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'checkout', taskDefinition: bad }), (r) => r.crashed >= 3);
    expect(result).toEqual({ crashed: 3, reasons: ['Essential container in task exited (exit code 1)'] });
    // family:revision works as well as the ARN.
    expect((await run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'checkout', taskDefinition: 'checkout-staging:2' })).crashed).toBe(3);

    // A healthy rollout then drains revision 1: tasks stopped by the scheduler are not crashes.
    await deploy('checkout', 'checkout-staging', 'good');
    await until(
      async () => (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!.deployments!.length,
      (n) => n === 1,
    );
    expect(await run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'checkout', taskDefinition: 'checkout-staging:1' })).toEqual({ crashed: 0, reasons: [] });
  });

  it('pages through ListTasks and describes in batches of 100', async () => {
    const acts = createEcsTaskActivities({ ecs });
    sandbox.setScenario({ images: { late: 'crash-after:0.2' } });
    const late = await deploy('big', 'big', 'late');
    const result = await until(() => run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'big', taskDefinition: late }), (r) => r.crashed >= 120);
    expect(result.crashed).toBe(120);
    const before = sandbox.calls().ecs.length;
    await run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'big', taskDefinition: late });
    const calls = sandbox.calls().ecs.slice(before);
    // 120 stopped revision-2 tasks plus 120 drained revision-1 tasks: 3 pages, 3 batches (or more if another crash landed).
    expect(calls.filter((c) => c.operation === 'ListTasks').length).toBeGreaterThanOrEqual(3);
    const batches = calls.filter((c) => c.operation === 'DescribeTasks').map((c) => (c.request as { tasks: string[] }).tasks.length);
    expect(Math.max(...batches)).toBe(100);
  });

  it('fails without retry for an unknown service', async () => {
    const acts = createEcsTaskActivities({ ecs });
    const failure = await failureOf(run(env(), acts.countCrashedTasks, { cluster: 'staging', service: 'nope', taskDefinition: 'x:1' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'NotFound' });
  });
});

describe('runMigration', () => {
  const input: RunMigrationInput = {
    cluster: 'staging',
    // Its networkConfiguration is copied: the task definition is awsvpc.
    service: 'checkout',
    taskDefinition: 'checkout-staging:1',
    container: 'app',
    command: ['npm', 'run', 'migrate'],
    releaseId: 'release-checkout-abc123',
  };
  const acts = () => createMigrationActivities({ ecs, options: { pollIntervalMs: 25 } });
  const runTasks = () => sandbox.calls().ecs.filter((c) => c.operation === 'RunTask');

  it('derives a stable clientToken of at most 64 characters from the release', () => {
    const token = migrationClientToken(input);
    expect(token).toBe(migrationClientToken({ ...input }));
    expect(token.length).toBeLessThanOrEqual(64);
    expect(token).toMatch(/^runway-migration-[0-9a-f]{40}$/);
    expect(migrationClientToken({ ...input, releaseId: 'release-checkout-def456' })).not.toBe(token);
    expect(migrationClientToken({ ...input, command: ['npm', 'run', 'migrate:down'] })).not.toBe(token);
  });

  it('runs the command once, heartbeating the task ARN, and succeeds on exit code 0', async () => {
    sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: 0, durationMs: 200 } } });
    const e = env();
    const beats: unknown[] = [];
    e.on('heartbeat', (d: unknown) => beats.push(d));
    const result = await run(e, acts().runMigration, input);
    expect(result).toEqual({ taskArn: expect.stringMatching(/:task\/staging\//), exitCode: 0 });
    expect(beats[0]).toEqual({ taskArn: result.taskArn, createdAtMs: expect.any(Number) });
    expect(runTasks()).toHaveLength(1);
    const seeded = (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
    expect(runTasks()[0]!.request).toMatchObject({
      taskDefinition: 'checkout-staging:1',
      clientToken: migrationClientToken(input),
      overrides: { containerOverrides: [{ name: 'app', command: ['npm', 'run', 'migrate'] }] },
      // Placed like the production service's tasks, which the emulator insists on for awsvpc.
      networkConfiguration: seeded.networkConfiguration,
      launchType: 'FARGATE',
    });
  });

  it('fails without retry on a non-zero exit code, naming it and the stopped reason', async () => {
    sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: 2, durationMs: 0 } } });
    const failure = await failureOf(run(env(), acts().runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(failure.message).toMatch(/exited with code 2: Essential container in task exited/);
  });

  it('fails without retry when the task stopped without an exit code', async () => {
    sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: null, durationMs: 0 } } });
    const failure = await failureOf(run(env(), acts().runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(failure.message).toMatch(/stopped without an exit code: CannotPullContainerError/);
  });

  it('without a service to copy the network from, fails without retry quoting ECS\'s refusal of an awsvpc task', async () => {
    const { service: _s, ...withoutService } = input;
    const failure = await failureOf(run(env(), acts().runMigration, withoutService));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidRequest' });
    expect(failure.message).toMatch(/InvalidParameterException: Network Configuration must be provided when networkMode 'awsvpc' is specified\./);
    expect(runTasks()[0]!.request).not.toHaveProperty('networkConfiguration');
  });

  it('fails without retry when RunTask reports failures[]', async () => {
    const failure = await failureOf(run(env(), acts().runMigration, { ...input, taskDefinition: 'ghost:1' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(failure.message).toMatch(/could not start the migration task ghost:1 .*MISSING/);
  });

  it('resumes from heartbeat details after a crash, waiting on the same task without a second RunTask', async () => {
    sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: 0, durationMs: 400 } } });
    const first = env();
    let details: { taskArn: string } | undefined;
    first.on('heartbeat', (d: { taskArn: string }) => {
      details = d;
      // The worker "dies" once the task is started and recorded.
      first.cancel();
    });
    await expect(run(first, acts().runMigration, input)).rejects.toBeInstanceOf(CancelledFailure);
    expect(details?.taskArn).toBeDefined();

    const result = await run(env({ heartbeatDetails: details, attempt: 2 }), acts().runMigration, input);
    expect(result.taskArn).toBe(details!.taskArn);
    expect(runTasks()).toHaveLength(1);
  });

  it('without heartbeat details, a retry gets the same task back from ECS through the clientToken', async () => {
    sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: 0, durationMs: 100 } } });
    const first = await run(env(), acts().runMigration, input);
    const retry = await run(env({ attempt: 2 }), acts().runMigration, input);
    expect(retry.taskArn).toBe(first.taskArn);
    expect(runTasks()).toHaveLength(2);
    const state = sandbox.state() as { ecs: { clusters: { name: string; standaloneTasks: unknown[] }[] } };
    expect(state.ecs.clusters.find((c) => c.name === 'staging')!.standaloneTasks).toHaveLength(1);
  });
});
