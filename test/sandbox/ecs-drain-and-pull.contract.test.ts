/**
 * Two failure modes the emulator plays on request, through the real @aws-sdk/client-ecs and the
 * activities: a service deleted mid-deploy (DRAINING, set with `ecs.drainServices` over
 * PUT /_sandbox/scenario) and an image that cannot be pulled (`fail-to-start`: tasks stop with
 * TaskFailedToStart and a CannotPullContainerError reason, no exit code).
 */
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, ServiceNotActiveException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { createEcsTaskActivities } from '../../activities/ecs-tasks';
import { failureOf, quietLogger } from '../support/activity-env';
import { STAGING, useEcsSandbox } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';
const ref = { cluster: 'staging', service: 'checkout' };

const env = useEcsSandbox([STAGING]);

const activityEnv = () => new MockActivityEnvironment(undefined, { logger: quietLogger });
const describe1 = async () => (await env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;

async function putScenario(body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${env.sandbox.url}/_sandbox/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Registers `tag` and rolls the staging service to it through Runway's own updateService (circuit breaker with rollback on). */
async function deploy(tag: string): Promise<string> {
  const td = await env.ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `${REPO}:${tag}` }] }));
  const arn = td.taskDefinition!.taskDefinitionArn!;
  await activityEnv().run(createEcsActivities({ ecs: env.ecs }).updateService, { ...ref, taskDefinition: arn });
  return arn;
}

const waitFor = (taskDefinition: string) =>
  activityEnv().run(createEcsActivities({ ecs: env.ecs, options: { pollIntervalMs: 25 } }).waitForDeployment, { ...ref, taskDefinition, timeoutMs: 30_000 });

describe('a service drained mid-deploy', () => {
  it('fails waitForDeployment without retry, naming DRAINING', async () => {
    // A slow rollout, so the service is drained while the wait is on.
    env.sandbox.setScenario({ deploymentDelayMs: 60_000 });
    const v2 = await deploy('v2');
    const waiting = failureOf(waitFor(v2));
    expect(await putScenario({ ecs: { drainServices: ['staging/checkout'] } })).toMatchObject({ status: 200 });

    const failure = await waiting;
    expect(failure).toMatchObject({ nonRetryable: true, type: 'NotFound', message: 'ECS service staging/checkout is DRAINING' });

    // What ECS shows of a deleted service: DRAINING, nothing running, and no more updates.
    expect(await describe1()).toMatchObject({ status: 'DRAINING', runningCount: 0, desiredCount: 0 });
    const { taskArns } = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', serviceName: 'checkout' }));
    expect(taskArns).toEqual([]);
    await expect(env.ecs.send(new UpdateServiceCommand({ ...ref, desiredCount: 2 }))).rejects.toBeInstanceOf(ServiceNotActiveException);

    // For good: taking it off the list does not bring it back.
    await putScenario({ ecs: { drainServices: [] } });
    expect((await describe1()).status).toBe('DRAINING');
  });

  it('refuses a drain entry that is not cluster/service', async () => {
    const refused = await putScenario({ ecs: { drainServices: ['checkout'] } });
    expect(refused.status).toBe(400);
    expect((refused.body as { message: string }).message).toMatch(/drainServices/);
    expect((await describe1()).status).toBe('ACTIVE');
  });
});

describe('an image that cannot be pulled (fail-to-start)', () => {
  it('stops its tasks with TaskFailedToStart, CannotPullContainerError and no exit code, and fails the deployment quoting it', async () => {
    env.sandbox.setScenario({ images: { nopull: 'fail-to-start' } });
    const bad = await deploy('nopull');

    const failure = await failureOf(waitFor(bad));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentFailed' });
    expect(failure.message).toMatch(/^ECS rolled back the deployment of .*checkout-staging:2/);
    expect(failure.message).toMatch(/stopped tasks: CannotPullContainerError: .*checkout:nopull: not found$/);

    const { taskArns } = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', serviceName: 'checkout', desiredStatus: 'STOPPED' }));
    const tasks = (await env.ecs.send(new DescribeTasksCommand({ cluster: 'staging', tasks: taskArns! }))).tasks!.filter((t) => t.taskDefinitionArn === bad);
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    for (const task of tasks) {
      expect(task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError: /) });
      expect(task.startedAt).toBeUndefined();
      expect(task.containers![0]!.exitCode).toBeUndefined();
      expect(task.containers![0]!.reason).toMatch(/^CannotPullContainerError: /);
    }
  });

  it('is counted by countCrashedTasks, with the pull error as the reason', async () => {
    env.sandbox.setScenario({ images: { nopull: 'fail-to-start' } });
    const bad = await deploy('nopull');
    await failureOf(waitFor(bad));
    const counted = await activityEnv().run(createEcsTaskActivities({ ecs: env.ecs }).countCrashedTasks, { ...ref, taskDefinition: bad });
    expect(counted).toEqual({
      crashed: 3,
      reasons: [`CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${REPO}:nopull: not found`],
    });
  });
});
