/**
 * The deployment verdicts of activities/ecs.ts against the emulator's circuit breaker: a
 * rollback (which ECS's own waiter calls "stable") and a FAILED rollout without rollback both
 * fail waitForDeployment; so does a rollout that never stabilises, at its deadline.
 */
import { DescribeServicesCommand, type ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, STAGING } from '../support/sandbox-clients';
import { failureOf, quietLogger } from '../support/activity-env';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ref = { cluster: 'staging', service: 'checkout' };

let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING], deploymentDelayMs: 200, recordExchanges: true });
  ecs = ecsClient(sandbox);
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs);
});

async function register(tag: string): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}


const wait = (taskDefinition: string, timeoutMs = 30_000) =>
  new MockActivityEnvironment(undefined, { logger: quietLogger }).run(createEcsActivities({ ecs, options: { pollIntervalMs: 25 } }).waitForDeployment, {
    ...ref,
    taskDefinition,
    timeoutMs,
  });

it('fails on a circuit-breaker rollback, naming the rollback, although the service ends up steady on the old revision', async () => {
  sandbox.setScenario({ images: { bad: 'crash' } });
  const bad = await register('bad');
  // The activity's own update: circuit breaker with rollback on.
  const acts = createEcsActivities({ ecs });
  const update = (await new MockActivityEnvironment(undefined, { logger: quietLogger }).run(acts.updateService, { ...ref, taskDefinition: bad })) as Awaited<
    ReturnType<typeof acts.updateService>
  >;
  expect(update.changed).toBe(true);

  const failure = await failureOf(wait(bad));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe('DeploymentFailed');
  expect(failure.message).toMatch(/^ECS rolled back the deployment of .*checkout-staging:2 to staging\/checkout \(circuit breaker\) — .*Essential container in task exited/);
  // The new revision's crashed tasks are quoted with their exit code (from ListTasks/DescribeTasks).
  expect(failure.message).toMatch(/ — stopped tasks: Essential container in task exited \(exit code 1\)$/);

  const after = (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
  // What ECS's waiter would call stable: one deployment, running == desired.
  expect(after.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: update.previous.taskDefinition, rolloutState: 'COMPLETED', runningCount: 2 })]);
  expect(after.events!.map((e) => e.message)).toContainEqual(expect.stringMatching(/^\(service checkout\) rolling back to deployment ecs-svc\//));
});

it('fails with the rollout reason when the circuit breaker fails the deployment without rollback', async () => {
  sandbox.setScenario({ images: { bad: 'crash' } });
  const bad = await register('bad');
  await ecs.send(
    new UpdateServiceCommand({ ...ref, taskDefinition: bad, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } }),
  );
  const failure = await failureOf(wait(bad));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe('DeploymentFailed');
  expect(failure.message).toMatch(/failed: ECS deployment circuit breaker: tasks failed to start\..*Essential container in task exited/);
  const after = (await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
  expect(after.deployments!.map((d) => [d.status, d.rolloutState])).toEqual([
    ['PRIMARY', 'FAILED'],
    ['ACTIVE', 'COMPLETED'],
  ]);
});

it('times out on a never-stable rollout, reporting how far it got', async () => {
  sandbox.setScenario({ images: { stuck: 'never-stable' } });
  const stuck = await register('stuck');
  await ecs.send(new UpdateServiceCommand({ ...ref, taskDefinition: stuck }));
  const failure = await failureOf(wait(stuck, 500));
  expect(failure.type).toBe('DeploymentTimedOut');
  expect(failure.message).toMatch(/rollout IN_PROGRESS/);
});

it('succeeds on a crash-after image: the rollout itself completes (crashed-task analysis catches it later)', async () => {
  sandbox.setScenario({ images: { late: 'crash-after:30' } });
  const late = await register('late');
  await ecs.send(new UpdateServiceCommand({ ...ref, taskDefinition: late }));
  await expect(wait(late)).resolves.toEqual({ runningCount: 2 });
});
