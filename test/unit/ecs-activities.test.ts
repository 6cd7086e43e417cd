/**
 * ECS activities with a fake client: task definition copying, idempotent updates, and the
 * deployment verdicts (including the circuit-breaker rollback that ECS's waiter calls "stable").
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { failureOf, quietLogger } from '../support/activity-env';

type Handler = (input: Record<string, unknown>) => unknown;

/** A client whose `send` answers by command name, recording every command. */
function fakeEcs(handlers: Record<string, Handler>) {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const ecs = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ command: name, input: command.input });
      const handler = handlers[name];
      if (!handler) throw new Error(`unexpected ${name}`);
      return handler(command.input);
    },
  } as unknown as ECSClient;
  return { ecs, sent, writes: () => sent.filter((s) => !/^(Describe|List)/.test(s.command)).map((s) => s.command) };
}

const currentTd = {
  taskDefinitionArn: 'arn:td/web:3',
  family: 'web',
  revision: 3,
  status: 'ACTIVE',
  registeredAt: new Date(),
  compatibilities: ['FARGATE'],
  requiresAttributes: [{ name: 'x' }],
  cpu: '256',
  volumes: [],
  containerDefinitions: [
    { name: 'app', image: 'repo/web:old', essential: true },
    { name: 'sidecar', image: 'envoy:1' },
  ],
};

const service = (overrides: Record<string, unknown> = {}) => ({
  services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: 'arn:td/web:3', desiredCount: 2, runningCount: 2, deployments: [], events: [], ...overrides }],
  failures: [],
});


// Failures are the point of several tests; keep the SDK from logging each one.
const env = () => new MockActivityEnvironment(undefined, { logger: quietLogger });
const ref = { cluster: 'c', service: 'web' };

describe('prepareTaskDefinition', () => {
  it('registers a copy with the new image, read-only and empty fields stripped, tags kept', async () => {
    const fake = fakeEcs({
      DescribeServices: () => service(),
      DescribeTaskDefinition: () => ({ taskDefinition: currentTd, tags: [{ key: 'team', value: 'pay' }] }),
      ListTaskDefinitions: () => ({ taskDefinitionArns: ['arn:td/web:3'] }),
      RegisterTaskDefinition: () => ({ taskDefinition: { taskDefinitionArn: 'arn:td/web:4' } }),
    });
    const acts = createEcsActivities({ ecs: fake.ecs });
    const result = await env().run(acts.prepareTaskDefinition, { source: ref, container: 'app', image: 'repo/web@sha256:abc' });
    expect(result).toEqual({ taskDefinitionArn: 'arn:td/web:4', registered: true });
    const registered = fake.sent.find((s) => s.command === 'RegisterTaskDefinition')!.input;
    expect(registered).toEqual({
      family: 'web',
      cpu: '256',
      containerDefinitions: [
        { name: 'app', image: 'repo/web@sha256:abc', essential: true },
        { name: 'sidecar', image: 'envoy:1' },
      ],
      tags: [{ key: 'team', value: 'pay' }],
    });
  });

  describe('reusing an earlier revision (a retry, or the same image released before)', () => {
    /** The current definition :3 with the new image, as DescribeTaskDefinition would echo an earlier registration of that copy. */
    const copyOfCurrent = (arn: string, overrides: Record<string, unknown> = {}) => ({
      ...currentTd,
      taskDefinitionArn: arn,
      revision: Number(arn.split(':').at(-1)),
      registeredAt: new Date(0),
      containerDefinitions: [
        { name: 'app', image: 'repo/web:new', essential: true },
        { name: 'sidecar', image: 'envoy:1' },
      ],
      ...overrides,
    });
    const tags = [{ key: 'team', value: 'pay' }];
    const prepare = (revisions: Record<string, unknown>) => {
      const fake = fakeEcs({
        DescribeServices: () => service(),
        DescribeTaskDefinition: ({ taskDefinition }) => ({ taskDefinition: revisions[taskDefinition as string] ?? currentTd, tags }),
        ListTaskDefinitions: () => ({ taskDefinitionArns: [...Object.keys(revisions), 'arn:td/web:3'] }),
        RegisterTaskDefinition: () => ({ taskDefinition: { taskDefinitionArn: 'arn:td/web:9' } }),
      });
      return { fake, result: env().run(createEcsActivities({ ecs: fake.ecs }).prepareTaskDefinition, { source: ref, container: 'app', image: 'repo/web:new' }) };
    };

    it('reuses a revision identical to the copy it would register, whatever order ECS echoes keys and named lists in', async () => {
      // Same content, other order: containers listed sidecar first, keys shuffled, an empty list ECS added.
      const identical = copyOfCurrent('arn:td/web:5', {
        containerDefinitions: [
          { image: 'envoy:1', name: 'sidecar', mountPoints: [] },
          { essential: true, image: 'repo/web:new', name: 'app' },
        ],
      });
      const { fake, result } = prepare({ 'arn:td/web:5': identical });
      await expect(result).resolves.toEqual({ taskDefinitionArn: 'arn:td/web:5', registered: false });
      expect(fake.writes()).toEqual([]);
    });

    it('does not reuse a revision with the same image but other environment variables: it registers a new one', async () => {
      const otherEnv = copyOfCurrent('arn:td/web:5', {
        containerDefinitions: [
          { name: 'app', image: 'repo/web:new', essential: true, environment: [{ name: 'DATABASE_URL', value: 'postgres://staging' }] },
          { name: 'sidecar', image: 'envoy:1' },
        ],
      });
      const { fake, result } = prepare({ 'arn:td/web:5': otherEnv });
      await expect(result).resolves.toEqual({ taskDefinitionArn: 'arn:td/web:9', registered: true });
      expect(fake.writes()).toEqual(['RegisterTaskDefinition']);
    });

    it('does not reuse a revision with the same image but another size or container set', async () => {
      const bigger = copyOfCurrent('arn:td/web:6', { cpu: '1024' });
      const appOnly = copyOfCurrent('arn:td/web:5', { containerDefinitions: [{ name: 'app', image: 'repo/web:new', essential: true }] });
      const { fake, result } = prepare({ 'arn:td/web:6': bigger, 'arn:td/web:5': appOnly });
      await expect(result).resolves.toMatchObject({ registered: true });
      expect(fake.writes()).toEqual(['RegisterTaskDefinition']);
    });

    it('still reuses the current revision when it already runs the image, without listing the family', async () => {
      const fake = fakeEcs({
        DescribeServices: () => service(),
        DescribeTaskDefinition: () => ({ taskDefinition: currentTd }),
      });
      const result = await env().run(createEcsActivities({ ecs: fake.ecs }).prepareTaskDefinition, { source: ref, container: 'app', image: 'repo/web:old' });
      expect(result).toEqual({ taskDefinitionArn: 'arn:td/web:3', registered: false });
      expect(fake.sent.map((s) => s.command)).toEqual(['DescribeServices', 'DescribeTaskDefinition']);
    });
  });

  it('fails without retrying when the container name is wrong', async () => {
    const fake = fakeEcs({ DescribeServices: () => service(), DescribeTaskDefinition: () => ({ taskDefinition: currentTd }) });
    const failure = await failureOf(env().run(createEcsActivities({ ecs: fake.ecs }).prepareTaskDefinition, { source: ref, container: 'api', image: 'x' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('task definition arn:td/web:3 has no container named "api" (has: app, sidecar)');
  });
});

describe('updateService', () => {
  it('does nothing when the service already has the requested state', async () => {
    const fake = fakeEcs({ DescribeServices: () => service() });
    const result = (await env().run(createEcsActivities({ ecs: fake.ecs }).updateService, { ...ref, taskDefinition: 'arn:td/web:3', desiredCount: 2 })) as { changed: boolean };
    expect(result.changed).toBe(false);
    expect(fake.writes()).toEqual([]);
  });

  it('sends only what changes, with zero-downtime settings, and returns the previous state', async () => {
    const fake = fakeEcs({ DescribeServices: () => service(), UpdateService: () => ({}) });
    const result = await env().run(createEcsActivities({ ecs: fake.ecs }).updateService, { ...ref, taskDefinition: 'arn:td/web:4', desiredCount: 2 });
    expect(result).toEqual({ changed: true, previous: { taskDefinition: 'arn:td/web:3', desiredCount: 2, runningCount: 2 } });
    expect(fake.sent.find((s) => s.command === 'UpdateService')!.input).toMatchObject({
      taskDefinition: 'arn:td/web:4',
      desiredCount: undefined,
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
  });

  it('heartbeats the state it read before sending the update, for a retry to find', async () => {
    const fake = fakeEcs({ DescribeServices: () => service(), UpdateService: () => ({}) });
    const activityEnv = env();
    const beats: unknown[] = [];
    activityEnv.on('heartbeat', (d: unknown) => beats.push(d));
    await activityEnv.run(createEcsActivities({ ecs: fake.ecs }).updateService, { ...ref, taskDefinition: 'arn:td/web:4' });
    expect(beats).toEqual([{ previous: { taskDefinition: 'arn:td/web:3', desiredCount: 2, runningCount: 2 } }]);
  });

  describe('a retry that finds its lost attempt\'s change in place', () => {
    // The lost attempt moved web from :3 to :4; the retry reads :4.
    const onNew = (deployments: unknown[] = []) => fakeEcs({ DescribeServices: () => service({ taskDefinition: 'arn:td/web:4', deployments }) });
    const retry = (fake: ReturnType<typeof fakeEcs>, heartbeatDetails?: unknown) =>
      new MockActivityEnvironment({ attempt: 2, heartbeatDetails }, { logger: quietLogger }).run(createEcsActivities({ ecs: fake.ecs }).updateService, {
        ...ref,
        taskDefinition: 'arn:td/web:4',
      });

    it('reports as previous the state the lost attempt heartbeated, so the undo restores :3', async () => {
      const fake = onNew();
      const previous = { taskDefinition: 'arn:td/web:3', desiredCount: 2, runningCount: 2 };
      await expect(retry(fake, { previous })).resolves.toEqual({ changed: false, previous });
      expect(fake.writes()).toEqual([]);
    });

    it('without that heartbeat, takes previous from the deployment ECS is still replacing', async () => {
      const fake = onNew([
        { status: 'PRIMARY', taskDefinition: 'arn:td/web:4' },
        { status: 'ACTIVE', taskDefinition: 'arn:td/web:3' },
      ]);
      await expect(retry(fake)).resolves.toMatchObject({ changed: false, previous: { taskDefinition: 'arn:td/web:3' } });
    });
  });

  it('reports a missing service as a non-retryable failure naming it', async () => {
    const fake = fakeEcs({ DescribeServices: () => ({ services: [], failures: [{ arn: 'arn:svc/web', reason: 'MISSING' }] }) });
    const failure = await failureOf(env().run(createEcsActivities({ ecs: fake.ecs }).updateService, { ...ref, desiredCount: 1 }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'NotFound', message: 'ECS service c/web not found (MISSING)' });
  });
});

describe('waitForDeployment', () => {
  const wait = (deployments: unknown[], events: unknown[] = []) => {
    const fake = fakeEcs({ DescribeServices: () => service({ deployments, events }) });
    return env().run(createEcsActivities({ ecs: fake.ecs, options: { pollIntervalMs: 1 } }).waitForDeployment, {
      ...ref,
      taskDefinition: 'arn:td/web:4',
      timeoutMs: 200,
    });
  };

  it('succeeds when the PRIMARY deployment runs the task definition, COMPLETED, running == desired', async () => {
    await expect(wait([{ status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }])).resolves.toEqual({ runningCount: 2 });
  });

  it('fails fast with the ECS reason when the rollout FAILED', async () => {
    const failure = await failureOf(
      wait(
        [{ status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker: tasks failed to start', runningCount: 0, desiredCount: 2 }],
        [{ message: '(service web) Essential container in task exited' }],
      ),
    );
    expect(failure.type).toBe('DeploymentFailed');
    expect(failure.message).toMatch(/circuit breaker: tasks failed to start — \(service web\) Essential container in task exited/);
  });

  it('does not call a circuit-breaker rollback "stable"', async () => {
    // After a rollback ECS shows one COMPLETED deployment with running == desired: the old one.
    const failure = await failureOf(wait([{ status: 'PRIMARY', taskDefinition: 'arn:td/web:3', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }]));
    expect(failure.message).toMatch(/is not deploying arn:td\/web:4 \(PRIMARY runs arn:td\/web:3; rolled back or replaced\)/);
  });

  it('names a circuit-breaker rollback and quotes ECS\'s reason', async () => {
    const failure = await failureOf(
      wait([
        { status: 'PRIMARY', taskDefinition: 'arn:td/web:3', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 },
        { status: 'ACTIVE', taskDefinition: 'arn:td/web:4', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start', runningCount: 0, desiredCount: 2 },
      ]),
    );
    expect(failure.message).toBe('ECS rolled back the deployment of arn:td/web:4 to c/web (circuit breaker): tasks failed to start');
  });

  it('quotes the newest events (not "steady state") and the stopped reasons of the new revision\'s crashed tasks, and carries the evidence in the details', async () => {
    const fake = fakeEcs({
      DescribeServices: () =>
        service({
          deployments: [{ status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start', runningCount: 0, desiredCount: 2 }],
          events: [{ message: '(service web) has reached a steady state.' }, { message: 'e3' }, { message: 'e2' }, { message: 'e1' }, { message: 'e0' }],
        }),
      ListTasks: () => ({ taskArns: ['t1', 't2', 't3'] }),
      DescribeTasks: () => ({
        tasks: [
          { taskArn: 't1', taskDefinitionArn: 'arn:td/web:4', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ exitCode: 137 }] },
          { taskArn: 't2', taskDefinitionArn: 'arn:td/web:4', stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: not found' },
          { taskArn: 't3', taskDefinitionArn: 'arn:td/web:3', stopCode: 'EssentialContainerExited', stoppedReason: 'old revision, not quoted' },
        ],
      }),
    });
    const failure = await failureOf(
      env().run(createEcsActivities({ ecs: fake.ecs, options: { pollIntervalMs: 1 } }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 200 }),
    );
    expect(failure.message).toBe(
      'deployment of arn:td/web:4 to c/web failed: tasks failed to start — e3 | e2 | e1 — stopped tasks: Essential container in task exited (exit code 137); CannotPullContainerError: not found',
    );
    expect(failure.details).toEqual([
      {
        rolloutStateReason: 'tasks failed to start',
        events: ['e3', 'e2', 'e1'],
        stoppedTaskReasons: ['Essential container in task exited (exit code 137)', 'CannotPullContainerError: not found'],
      },
    ]);
  });

  it('fails at once, naming the status, when the service is draining or inactive', async () => {
    for (const status of ['DRAINING', 'INACTIVE']) {
      const fake = fakeEcs({ DescribeServices: () => service({ status }) });
      const failure = await failureOf(
        env().run(createEcsActivities({ ecs: fake.ecs, options: { pollIntervalMs: 1 } }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 60_000 }),
      );
      expect(failure).toMatchObject({ nonRetryable: true, type: 'NotFound', message: `ECS service c/web is ${status}` });
    }
  });

  it('gives up at the deadline with what it last saw', async () => {
    const failure = await failureOf(wait([{ status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 2 }]));
    expect(failure.type).toBe('DeploymentTimedOut');
    expect(failure.message).toMatch(/did not complete within 0 s \(1\/2 running, rollout IN_PROGRESS\)/);
  });

  describe('resuming after a crash', () => {
    const inProgress = () => service({ deployments: [{ id: 'd4', status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 2 }] });

    it('heartbeats its start time before the first poll, so a lost first attempt still fixes the deadline', async () => {
      // The first poll never comes back with an answer (the worker dies, or ECS is unreachable).
      const fake = fakeEcs({ DescribeServices: () => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) });
      const first = env();
      const beats: { startedAt: number }[] = [];
      first.on('heartbeat', (d: { startedAt: number }) => beats.push(d));
      const before = Date.now();
      const failure = await failureOf(first.run(createEcsActivities({ ecs: fake.ecs }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 60_000 }));
      expect(failure.nonRetryable).toBe(false);
      expect(beats).toHaveLength(1);
      expect(beats[0]!.startedAt).toBeGreaterThanOrEqual(before);

      // The retry counts from the first attempt's start: every heartbeat it sends carries it.
      const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats[0] }, { logger: quietLogger });
      const retryBeats: { startedAt: number }[] = [];
      retry.on('heartbeat', (d: { startedAt: number }) => retryBeats.push(d));
      const done = fakeEcs({ DescribeServices: () => service({ deployments: [{ status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }] }) });
      await retry.run(createEcsActivities({ ecs: done.ecs }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 60_000 });
      expect(retryBeats.map((b) => b.startedAt)).toEqual([beats[0]!.startedAt]);
    });

    it('keeps the original deadline: a wait resumed long after it began times out at once', async () => {
      const fake = fakeEcs({ DescribeServices: inProgress });
      const resumed = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: { startedAt: Date.now() - 3_600_000 } }, { logger: quietLogger });
      const failure = await failureOf(
        resumed.run(createEcsActivities({ ecs: fake.ecs, options: { pollIntervalMs: 1 } }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 600_000 }),
      );
      expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentTimedOut' });
      expect(failure.message).toMatch(/did not complete within 600 s/);
      // One poll: it did not start a fresh 10-minute wait.
      expect(fake.sent.filter((s) => s.command === 'DescribeServices')).toHaveLength(1);
    });
  });

  describe('telling a rollback of this deployment from an older one', () => {
    const deployedAt = new Date('2030-01-01T12:00:00Z');
    const ours = { id: 'ecs-svc/44', status: 'PRIMARY', taskDefinition: 'arn:td/web:4', rolloutState: 'IN_PROGRESS', runningCount: 0, desiredCount: 2, createdAt: deployedAt };
    const back = { id: 'ecs-svc/45', status: 'PRIMARY', taskDefinition: 'arn:td/web:3', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2, createdAt: deployedAt };
    /** First poll: our deployment rolling. Second: :3 is PRIMARY again, with `events`. */
    const twoPolls = (events: unknown[]) => {
      let polls = 0;
      const fake = fakeEcs({ DescribeServices: () => service(++polls === 1 ? { deployments: [ours] } : { deployments: [back], events }) });
      return env().run(createEcsActivities({ ecs: fake.ecs, options: { pollIntervalMs: 1 } }).waitForDeployment, { ...ref, taskDefinition: 'arn:td/web:4', timeoutMs: 60_000 });
    };
    const at = (offsetMs: number) => new Date(deployedAt.getTime() + offsetMs);

    it('does not call it a rollback when the only rollback event is older than this deployment', async () => {
      const failure = await failureOf(twoPolls([{ message: '(service web) rolling back to deployment ecs-svc/30.', createdAt: at(-3_600_000) }]));
      expect(failure.message).toMatch(/^ECS service c\/web is not deploying arn:td\/web:4 \(PRIMARY runs arn:td\/web:3; rolled back or replaced\)/);
    });

    it('calls it a rollback when a rollback event is newer than this deployment', async () => {
      const failure = await failureOf(twoPolls([{ message: '(service web) rolling back to deployment ecs-svc/30.', createdAt: at(5_000) }]));
      expect(failure.message).toMatch(/^ECS rolled back the deployment of arn:td\/web:4 to c\/web \(circuit breaker\)/);
    });

    it('calls it a rollback when an event names this deployment as failed', async () => {
      const failure = await failureOf(twoPolls([{ message: '(service web) (deployment ecs-svc/44) deployment failed: tasks failed to start.' }]));
      expect(failure.message).toMatch(/^ECS rolled back the deployment of arn:td\/web:4/);
    });

    it('after a retry, judges by the deployment its lost attempt heartbeated', async () => {
      const fake = fakeEcs({ DescribeServices: () => service({ deployments: [back], events: [{ message: '(service web) rolling back to deployment ecs-svc/30.', createdAt: at(-60_000) }] }) });
      const heartbeatDetails = { startedAt: Date.now(), deployment: { id: 'ecs-svc/44', createdAtMs: deployedAt.getTime() } };
      const failure = await failureOf(
        new MockActivityEnvironment({ attempt: 2, heartbeatDetails }, { logger: quietLogger }).run(createEcsActivities({ ecs: fake.ecs }).waitForDeployment, {
          ...ref,
          taskDefinition: 'arn:td/web:4',
          timeoutMs: 60_000,
        }),
      );
      expect(failure.message).toMatch(/rolled back or replaced/);
    });
  });
});
