/**
 * Task-level behaviours with a hand-driven clock: tasks, crash-after, never-stable and the
 * circuit-breaker rollback. The emulator settles lazily from timestamps, so states are exact.
 */
import { ScenarioStore, scenarioPatchSchema } from '../../src/sandbox/scenario';
import { clockedEmulator, type WireDeployment } from '../support/clocked-emulator';

function setup(delayMs = 1000, desiredCount = 4) {
  return clockedEmulator({ delayMs, desiredCount });
}

const ROLLBACK = { deploymentCircuitBreaker: { enable: true, rollback: true } };

describe('tasks follow deployments', () => {
  it('runs one task per desired count, stops old ones when a rollout completes, and stops extras on scale-in', () => {
    const t = setup();
    const seeded = t.tasks('RUNNING');
    expect(seeded).toHaveLength(4);
    expect(seeded[0]).toMatchObject({ group: 'service:checkout', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });

    const v2 = t.register('repo/checkout:v2');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: v2 });
    t.advance(1000);
    expect(t.tasks('RUNNING').map((task) => task.taskDefinitionArn)).toEqual(Array(4).fill(v2));
    const drained = t.tasks('STOPPED');
    expect(drained).toHaveLength(4);
    expect(drained[0]).toMatchObject({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: expect.stringMatching(/^Scaling activity initiated by \(deployment ecs-svc\//) });
    // The started-tasks event names tasks that really exist.
    const started = t.service().events.find((e) => e.message.includes('has started'))!.message;
    expect(started).toContain(t.tasks('RUNNING')[0]!.taskArn.split('/').at(-1));

    t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 1 });
    expect(t.tasks('RUNNING')).toHaveLength(1);
    expect(t.tasks('STOPPED')).toHaveLength(7);
  });

  it('records each task a crashing image loses, stamped when it failed', () => {
    const t = setup(1000, 10);
    t.scenario.merge({ images: { bad: 'crash' } });
    const bad = t.register('repo/checkout:bad');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: bad });
    t.advance(400);
    expect(t.tasks('STOPPED')).toHaveLength(2);
    t.advance(600);
    const stopped = t.tasks('STOPPED');
    expect(stopped).toHaveLength(5);
    expect(stopped.every((task) => task.taskDefinitionArn === bad && task.stopCode === 'EssentialContainerExited')).toBe(true);
    expect(stopped[0]).toMatchObject({ stoppedReason: 'Essential container in task exited', containers: [{ exitCode: 1 }] });
    expect(stopped.map((task) => task.stoppedAt)).toEqual([...stopped.map((task) => task.stoppedAt!)].sort());
    expect(stopped.at(-1)!.stoppedAt).toBe((t.now()) / 1000);
  });

  it('forgets stopped tasks after an hour, as ECS does', () => {
    const t = setup();
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 2 });
    expect(t.tasks('STOPPED')).toHaveLength(2);
    t.advance(3_600_000);
    expect(t.tasks('STOPPED')).toHaveLength(0);
  });
});

describe('fail-to-start', () => {
  it('stops every task it starts with TaskFailedToStart and never runs one, also while ECS keeps replacing them without a breaker', () => {
    const t = setup(1000, 4);
    t.scenario.merge({ images: { nopull: 'fail-to-start' } });
    const bad = t.register('repo/checkout:nopull');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: bad });
    t.advance(2000);
    expect(t.service().deployments[0]).toMatchObject({ taskDefinition: bad, rolloutState: 'IN_PROGRESS', runningCount: 0, failedTasks: 4 });
    const stopped = t.tasks('STOPPED').filter((task) => task.taskDefinitionArn === bad);
    expect(stopped).toHaveLength(4);
    for (const task of stopped) {
      expect(task).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref repo/checkout:nopull: not found' });
      expect(task.startedAt).toBeUndefined();
      expect(task.containers[0]!.exitCode).toBeUndefined();
    }
  });
});

describe('crash-after:<seconds>', () => {
  it('completes the rollout, then crashes every task after N seconds and restarts them with a growing delay', () => {
    const t = setup(1000, 4);
    t.scenario.merge({ images: { late: 'crash-after:5' } });
    const late = t.register('repo/checkout:late');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: late });
    t.advance(1000);
    expect(t.service().deployments).toEqual([expect.objectContaining({ taskDefinition: late, rolloutState: 'COMPLETED', runningCount: 4 })]);

    t.advance(4999);
    expect(t.service().runningCount).toBe(4);
    t.advance(1);
    expect(t.service()).toMatchObject({ runningCount: 0, desiredCount: 4 });
    expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'COMPLETED', failedTasks: 4 });
    const crashed = t.tasks('STOPPED').filter((task) => task.taskDefinitionArn === late);
    expect(crashed).toHaveLength(4);
    expect(crashed[0]).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });

    // Replacements start after max(delay, 1 s), run 5 s, crash; the next wait is twice as long.
    t.advance(1000);
    expect(t.service().runningCount).toBe(4);
    t.advance(5000);
    expect(t.service().runningCount).toBe(0);
    t.advance(1999);
    expect(t.service().runningCount).toBe(0);
    t.advance(1);
    expect(t.service().runningCount).toBe(4);
    expect(t.service().events.map((e) => e.message)).toContainEqual(expect.stringMatching(/unable to consistently start tasks successfully/));
    expect(t.tasks('STOPPED').filter((task) => task.taskDefinitionArn === late)).toHaveLength(8);
  });
});

describe('never-stable', () => {
  it('keeps the rollout IN_PROGRESS with one task short, and never fails it', () => {
    const t = setup(1000, 3);
    t.scenario.merge({ images: { stuck: 'never-stable' } });
    const stuck = t.register('repo/checkout:stuck');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: stuck, deploymentConfiguration: ROLLBACK });
    t.advance(3_000_000);
    const svc = t.service();
    expect(svc.deployments[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: stuck, rolloutState: 'IN_PROGRESS', desiredCount: 3, runningCount: 2, failedTasks: 0 });
    expect(svc.deployments[1]).toMatchObject({ status: 'ACTIVE', runningCount: 3 });
    expect(svc.events[0]!.message).toMatch(/was unable to place a task/);

    t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 5 });
    expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', desiredCount: 5, runningCount: 4 });
    // Scaling to 0 is the way out: nothing left to place.
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 0 });
    expect(t.service().deployments).toEqual([expect.objectContaining({ rolloutState: 'COMPLETED', desiredCount: 0, runningCount: 0 })]);
  });
});

describe('circuit breaker', () => {
  it('with rollback: fails the deployment, then a new PRIMARY deployment of the previous revision takes over its running tasks', () => {
    const t = setup(1000, 4);
    const before = t.service();
    t.scenario.merge({ images: { bad: 'crash' } });
    const bad = t.register('repo/checkout:bad');
    const running = t.tasks('RUNNING').map((task) => task.taskArn);
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: bad, deploymentConfiguration: ROLLBACK });
    t.advance(1000);
    const svc = t.service();
    expect(svc.taskDefinition).toBe(before.taskDefinition);
    expect(svc.deployments).toEqual([
      expect.objectContaining({ status: 'PRIMARY', taskDefinition: before.taskDefinition, rolloutState: 'COMPLETED', runningCount: 4, desiredCount: 4 }),
    ]);
    expect(svc.deployments[0]!.id).not.toBe(before.deployments[0]!.id);
    expect(svc.events.slice(0, 3).map((e) => e.message)).toEqual([
      '(service checkout) has reached a steady state.',
      `(service checkout) rolling back to deployment ${before.deployments[0]!.id}.`,
      expect.stringMatching(/deployment failed: tasks failed to start/),
    ]);
    // Nothing restarted: the same tasks run.
    expect(t.tasks('RUNNING').map((task) => task.taskArn)).toEqual(running);
    const state = t.ecs.snapshot().clusters[0]!.services[0] as { allDeployments: WireDeployment[] };
    expect(state.allDeployments.find((d) => d.taskDefinition === bad)).toMatchObject({ status: 'INACTIVE', rolloutState: 'FAILED' });
  });

  it('with rollback off: the FAILED deployment stays PRIMARY beside the old one', () => {
    const t = setup(1000, 4);
    t.scenario.merge({ images: { bad: 'crash' } });
    const bad = t.register('repo/checkout:bad');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: bad, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } });
    t.advance(1000);
    expect(t.service().deployments.map((d) => [d.status, d.taskDefinition === bad, d.rolloutState])).toEqual([
      ['PRIMARY', true, 'FAILED'],
      ['ACTIVE', false, 'COMPLETED'],
    ]);
  });

  it('does not roll back a crash-after image: its rollout completed before anything crashed', () => {
    const t = setup(1000, 2);
    t.scenario.merge({ images: { late: 'crash-after:1' } });
    const late = t.register('repo/checkout:late');
    t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: late, deploymentConfiguration: ROLLBACK });
    t.advance(10_000);
    expect(t.service()).toMatchObject({ taskDefinition: late, deployments: [expect.objectContaining({ rolloutState: 'COMPLETED' })] });
  });
});

describe('scenario schema', () => {
  it('accepts the new behaviours and refuses malformed ones', () => {
    expect(scenarioPatchSchema.safeParse({ images: { a: 'crash-after:30', b: 'crash-after:0.5', c: 'never-stable', d: 'crash', e: 'fail-to-start' } }).success).toBe(true);
    expect(scenarioPatchSchema.safeParse({ ecs: { drainServices: ['staging/checkout'] } }).success).toBe(true);
    for (const bad of [['checkout'], ['a/b/c'], 'staging/checkout']) expect(scenarioPatchSchema.safeParse({ ecs: { drainServices: bad } }).success).toBe(false);
    for (const bad of ['crash-after:', 'crash-after:0', 'crash-after:-1', 'crash-after:1e3', 'crash-after:90000', 'never_stable']) {
      expect(scenarioPatchSchema.safeParse({ images: { x: bad } }).success).toBe(false);
    }
    expect(scenarioPatchSchema.safeParse({ ecs: { throttle: { count: 1, ops: ['x'] } } }).success).toBe(false);
    expect(scenarioPatchSchema.safeParse({ ecs: { failNext: { operation: 'RunTask', status: 502, count: 1 } } }).success).toBe(false);
    expect(scenarioPatchSchema.safeParse({ migrations: { web: { exitCode: 'x' } } }).success).toBe(false);
  });

  it('lets the worst container decide what a task does', () => {
    const scenario = new ScenarioStore(0);
    scenario.merge({ images: { a: 'crash-after:10', b: 'crash-after:2', c: 'never-stable', d: 'unhealthy' } });
    expect(scenario.taskLifecycle(['r/x:a', 'r/x:b', 'r/x:c'])).toBe('crash-after:2');
    expect(scenario.taskLifecycle(['r/x:c', 'r/x:d'])).toBe('never-stable');
    expect(scenario.taskLifecycle(['r/x:d', 'r/x:ok'])).toBe('unhealthy');
    // The health endpoint answers for a running task: crash-after and never-stable tasks answer fine.
    expect(scenario.taskBehaviour(['r/x:a'])).toBe('healthy');
    // An image that cannot be pulled stops the task before anything else can happen, and nothing serves.
    scenario.merge({ images: { e: 'fail-to-start', f: 'crash' } });
    expect(scenario.taskLifecycle(['r/x:f', 'r/x:e'])).toBe('fail-to-start');
    expect(scenario.taskBehaviour(['r/x:e'])).toBe('crash');
  });
});
