/** ListTasks, DescribeTasks and RunTask on the wire, through the real @aws-sdk/client-ecs. */
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServiceNotFoundException,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { PRODUCTION, STAGING, until, useEcsSandbox } from '../support/sandbox-clients';

const REPO = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout';

const env = useEcsSandbox([STAGING, PRODUCTION]);

async function register(image: string, family = 'checkout-staging'): Promise<string> {
  const out = await env.ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image, essential: true }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

async function serviceTasks(desiredStatus: 'RUNNING' | 'STOPPED', serviceName = 'checkout', cluster = 'staging'): Promise<Task[]> {
  const { taskArns } = await env.ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus }));
  if (!taskArns?.length) return [];
  return (await env.ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }))).tasks!;
}

describe('ListTasks / DescribeTasks', () => {
  it('lists a service’s running tasks and describes them with Dates, group and containers', async () => {
    const { taskArns } = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', serviceName: 'checkout' }));
    expect(taskArns).toHaveLength(2);
    expect(taskArns![0]).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/staging\/[0-9a-f]{32}$/);
    const out = await env.ecs.send(new DescribeTasksCommand({ cluster: 'staging', tasks: [...taskArns!, 'arn:aws:ecs:us-east-1:000000000000:task/staging/nope'] }));
    expect(out.tasks![0]).toMatchObject({
      taskArn: taskArns![0],
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:1',
      group: 'service:checkout',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containers: [expect.objectContaining({ name: 'app', image: STAGING.image, lastStatus: 'RUNNING' })],
    });
    expect(out.tasks![0]!.startedAt).toBeInstanceOf(Date);
    expect(Math.abs(out.tasks![0]!.startedAt!.getTime() - Date.now())).toBeLessThan(3_600_000);
    expect(out.tasks![0]!.stopCode).toBeUndefined();
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:task/staging/nope', reason: 'MISSING' }]);
    // Bare task ids work too.
    const byId = await env.ecs.send(new DescribeTasksCommand({ cluster: 'staging', tasks: [taskArns![0]!.split('/').at(-1)!] }));
    expect(byId.tasks!.map((t) => t.taskArn)).toEqual([taskArns![0]]);
  });

  it('shows a crashing image’s tasks as STOPPED with EssentialContainerExited and exit code 1', async () => {
    env.sandbox.setScenario({ images: { bad1: 'crash' } });
    const bad = await register(`${REPO}:bad1`);
    await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: bad }));
    const stopped = await until(() => serviceTasks('STOPPED'), (tasks) => tasks.length >= 3);
    expect(stopped[0]).toMatchObject({
      taskDefinitionArn: bad,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ exitCode: 1 })],
    });
    expect(stopped[0]!.stoppedAt).toBeInstanceOf(Date);
    // The old revision keeps running.
    expect((await serviceTasks('RUNNING')).map((t) => t.taskDefinitionArn)).toEqual(Array(2).fill(expect.stringMatching(/checkout-staging:1$/)));
  });

  it('filters by family and startedBy, pages with nextToken, and refuses unknown services and clusters', async () => {
    const prodFamily = await env.ecs.send(new ListTasksCommand({ cluster: 'production', family: 'checkout-production' }));
    expect(prodFamily.taskArns).toHaveLength(9);
    expect((await env.ecs.send(new ListTasksCommand({ cluster: 'production', family: 'checkout-staging' }))).taskArns).toEqual([]);
    const page = await env.ecs.send(new ListTasksCommand({ cluster: 'production', maxResults: 5 }));
    const rest = await env.ecs.send(new ListTasksCommand({ cluster: 'production', maxResults: 5, nextToken: page.nextToken }));
    expect([...page.taskArns!, ...rest.taskArns!]).toEqual(prodFamily.taskArns);
    expect(rest.nextToken).toBeUndefined();
    const { service } = await env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] })).then((o) => ({ service: o.services![0]! }));
    const byDeployment = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', startedBy: service.deployments![0]!.id }));
    expect(byDeployment.taskArns).toHaveLength(2);
    // ECS never sets a desired status of PENDING.
    expect((await env.ecs.send(new ListTasksCommand({ cluster: 'staging', desiredStatus: 'PENDING' }))).taskArns).toEqual([]);
    await expect(env.ecs.send(new ListTasksCommand({ cluster: 'staging', serviceName: 'nope' }))).rejects.toBeInstanceOf(ServiceNotFoundException);
    await expect(env.ecs.send(new ListTasksCommand({ cluster: 'nowhere' }))).rejects.toBeInstanceOf(ClusterNotFoundException);
  });
});

describe('crash-after and never-stable on the wire', () => {
  it('crash-after: the deployment completes, then its tasks stop and the service runs fewer than desired', async () => {
    env.sandbox.setScenario({ images: { late: 'crash-after:0.3' } });
    const late = await register(`${REPO}:late`);
    await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: late }));
    const describe1 = async () => (await env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
    const completed = await until(describe1, (s) => s.deployments![0]!.rolloutState === 'COMPLETED');
    expect(completed.deployments).toEqual([expect.objectContaining({ taskDefinition: late, runningCount: 2 })]);
    const crashed = await until(describe1, (s) => (s.runningCount ?? 0) < (s.desiredCount ?? 0));
    expect(crashed.deployments![0]).toMatchObject({ rolloutState: 'COMPLETED', taskDefinition: late });
    const stopped = (await serviceTasks('STOPPED')).filter((t) => t.taskDefinitionArn === late);
    expect(stopped.length).toBeGreaterThanOrEqual(2);
    expect(stopped.every((t) => t.stopCode === 'EssentialContainerExited' && t.containers![0]!.exitCode === 1)).toBe(true);
  });

  it('never-stable: the rollout stays IN_PROGRESS with running < desired', async () => {
    env.sandbox.setScenario({ images: { stuck: 'never-stable' } });
    const stuck = await register(`${REPO}:stuck`);
    await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: stuck }));
    const describe1 = async () => (await env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
    const placed = await until(describe1, (s) => s.deployments![0]!.runningCount === 1);
    expect(placed.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: stuck, rolloutState: 'IN_PROGRESS', desiredCount: 2, runningCount: 1, pendingCount: 1 });
    expect(placed.events![0]!.message).toMatch(/unable to place a task/);
  });
});

describe('RunTask', () => {
  // The seeded task definitions are awsvpc (Fargate), so RunTask needs a network, as in ECS.
  const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-a'], securityGroups: ['sg-a'] } };
  const runMigration = (clientToken?: string, taskDefinition = 'checkout-staging') =>
    env.ecs.send(
      new RunTaskCommand({
        cluster: 'staging',
        taskDefinition,
        startedBy: 'runway-migration',
        clientToken,
        overrides: { containerOverrides: [{ name: 'app', command: ['npm', 'run', 'migrate'] }] },
        networkConfiguration,
      }),
    );
  const describeTask = async (arn: string) => (await env.ecs.send(new DescribeTasksCommand({ cluster: 'staging', tasks: [arn] }))).tasks![0]!;

  it('runs a one-off task that stops with exit code 0 by default, with the command override echoed', async () => {
    env.sandbox.setScenario({ migrations: { 'checkout-staging': { durationMs: 150 } } });
    const out = await runMigration('token-1');
    expect(out.failures).toEqual([]);
    const task = out.tasks![0]!;
    expect(task).toMatchObject({ group: 'family:checkout-staging', startedBy: 'runway-migration', desiredStatus: 'RUNNING' });
    expect(task.overrides!.containerOverrides).toEqual([{ name: 'app', command: ['npm', 'run', 'migrate'] }]);
    const stopped = await until(() => describeTask(task.taskArn!), (t) => t.lastStatus === 'STOPPED');
    expect(stopped).toMatchObject({ stopCode: 'EssentialContainerExited', desiredStatus: 'STOPPED', containers: [expect.objectContaining({ name: 'app', exitCode: 0 })] });
    // One-off tasks are not the service's.
    expect((await serviceTasks('STOPPED')).map((t) => t.taskArn)).not.toContain(task.taskArn);
  });

  it('ends with the scenario’s exit code, or with none when the container never ran', async () => {
    env.sandbox.setScenario({ migrations: { initial: { exitCode: 3, durationMs: 0 } } });
    const failed = await describeTask((await runMigration()).tasks![0]!.taskArn!);
    expect(failed).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [expect.objectContaining({ exitCode: 3 })] });

    // Keyed by family this time, which goes before an image or tag key.
    env.sandbox.setScenario({ migrations: { 'checkout-staging': { exitCode: null, durationMs: 0 } } });
    const never = await describeTask((await runMigration()).tasks![0]!.taskArn!);
    expect(never).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError/) });
    expect(never.containers![0]!.exitCode).toBeUndefined();
    expect(never.startedAt).toBeUndefined();
  });

  it('answers the same clientToken with the same task and starts nothing new', async () => {
    const first = await runMigration('release-checkout-abc');
    const again = await runMigration('release-checkout-abc');
    expect(again.tasks!.map((t) => t.taskArn)).toEqual(first.tasks!.map((t) => t.taskArn));
    const other = await runMigration('release-checkout-def');
    expect(other.tasks![0]!.taskArn).not.toBe(first.tasks![0]!.taskArn);
    const oneOffs = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', startedBy: 'runway-migration' }));
    const stoppedOneOffs = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', startedBy: 'runway-migration', desiredStatus: 'STOPPED' }));
    expect(oneOffs.taskArns!.length + stoppedOneOffs.taskArns!.length).toBe(2);
    expect(env.sandbox.calls().ecs.filter((c) => c.operation === 'RunTask').map((c) => c.status)).toEqual([200, 200, 200]);
  });

  it('reports an unknown task definition in failures[] with HTTP 200, and refuses bad overrides and tokens', async () => {
    const out = await runMigration(undefined, 'ghost:1');
    expect(out.tasks).toEqual([]);
    expect(out.failures).toEqual([expect.objectContaining({ arn: 'ghost:1', reason: 'MISSING' })]);
    expect(env.sandbox.calls().ecs.at(-1)).toMatchObject({ operation: 'RunTask', status: 200 });
    await expect(
      env.ecs.send(new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', overrides: { containerOverrides: [{ name: 'sidecar', command: ['x'] }] } })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(runMigration('x'.repeat(65))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(env.ecs.send(new RunTaskCommand({ cluster: 'nowhere', taskDefinition: 'checkout-staging' }))).rejects.toBeInstanceOf(ClusterNotFoundException);
  });

  it('refuses an awsvpc task definition without a networkConfiguration, with ECS\'s message, and starts nothing', async () => {
    const refused = env.ecs.send(new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', startedBy: 'runway-migration' }));
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(refused).rejects.toThrow("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    await expect(
      env.ecs.send(new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', networkConfiguration: { awsvpcConfiguration: { subnets: [] } } })),
    ).rejects.toThrow(/subnets can not be empty/);
    await expect(
      env.ecs.send(
        new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', networkConfiguration, launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] }),
      ),
    ).rejects.toThrow(/both a launch type and capacity provider strategy/);
    const started = await env.ecs.send(new ListTasksCommand({ cluster: 'staging', startedBy: 'runway-migration' }));
    expect(started.taskArns).toEqual([]);
  });

  it('seeds services with a networkConfiguration, which a migration can copy', async () => {
    const { services } = await env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
    expect(services![0]!.networkConfiguration!.awsvpcConfiguration).toMatchObject({ subnets: [expect.any(String), expect.any(String)], securityGroups: [expect.any(String)] });
    const out = await env.ecs.send(
      new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', networkConfiguration: services![0]!.networkConfiguration, launchType: services![0]!.launchType }),
    );
    expect(out.tasks).toHaveLength(1);
  });
});
