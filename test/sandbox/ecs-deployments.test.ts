/**
 * Deployment progress with a hand-driven clock: the emulator settles lazily from timestamps,
 * so these states are exact, not raced.
 */
import { EcsError } from '../../src/sandbox/ecs/api-errors';
import { clockedEmulator } from '../support/clocked-emulator';

function setup(delayMs = 1000) {
  return clockedEmulator({ delayMs, desiredCount: 10 });
}

const BREAKER_NO_ROLLBACK = { deploymentCircuitBreaker: { enable: true, rollback: false } };

it('grows failedTasks of a crashing deployment towards the circuit-breaker threshold, then fails it', () => {
  const t = setup();
  t.scenario.merge({ images: { bad: 'crash' } });
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: t.register('repo/checkout:bad'), deploymentConfiguration: BREAKER_NO_ROLLBACK });
  // desiredCount 10 → threshold max(3, ceil(10 × 0.5)) = 5
  t.advance(400);
  expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 2, runningCount: 0 });
  t.advance(599);
  expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 4 });
  t.advance(1);
  expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'FAILED', failedTasks: 5 });
  // The old deployment keeps serving: the service still runs 10 tasks of revision 1.
  expect(t.service().runningCount).toBe(10);
  expect(t.service().deployments[1]).toMatchObject({ status: 'ACTIVE', runningCount: 10 });
});

it('without a circuit breaker never fails a crashing deployment: ECS keeps replacing tasks, with a doubling delay', () => {
  const t = setup();
  t.scenario.merge({ images: { bad: 'crash' } });
  const bad = t.register('repo/checkout:bad');
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: bad });
  t.advance(1000);
  // The first round fails as with a breaker (5 tasks) but nothing ends the rollout.
  expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 5, runningCount: 0 });
  // Replacements: one after max(delay, 1 s) = 1 s, the next 2 s later, then 4 s later.
  t.advance(999);
  expect(t.service().deployments[0]!.failedTasks).toBe(5);
  t.advance(1);
  expect(t.service().deployments[0]!.failedTasks).toBe(6);
  t.advance(2000);
  expect(t.service().deployments[0]!.failedTasks).toBe(7);
  t.advance(4000);
  expect(t.service().deployments[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: bad, rolloutState: 'IN_PROGRESS', failedTasks: 8 });
  expect(t.tasks('STOPPED').filter((task) => task.taskDefinitionArn === bad)).toHaveLength(8);
  // Hours later: still IN_PROGRESS, still failing, the old deployment still serving.
  t.advance(3 * 3_600_000);
  const later = t.service();
  expect(later.deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS' });
  expect(later.deployments[0]!.failedTasks).toBeGreaterThan(8);
  expect(later.deployments[1]).toMatchObject({ status: 'ACTIVE', runningCount: 10 });
  expect(later.events.map((e) => e.message)).not.toContainEqual(expect.stringMatching(/deployment failed/));
});

it('stamps settle events with the time the deployment settled, not the time of the read', () => {
  const t = setup();
  const started = t.now();
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: t.register('repo/checkout:v2') });
  t.advance(60_000);
  const svc = t.service();
  expect(svc.deployments).toHaveLength(1);
  expect(svc.events[0]!.createdAt).toBe((started + 1000) / 1000);
});

it('fixes the outcome when the deployment starts: a later scenario change does not rewrite it', () => {
  const t = setup();
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: t.register('repo/checkout:v2') });
  t.scenario.merge({ images: { v2: 'crash' }, deploymentDelayMs: 5 });
  t.advance(1000);
  expect(t.service().deployments[0]).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 10 });
});

it('stops tasks at once on scale-down and starts them after the delay on scale-up', () => {
  const t = setup();
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 4 });
  expect(t.service()).toMatchObject({ runningCount: 4 });
  expect(t.service().events[1]!.message).toBe('(service checkout) has stopped 6 running tasks.');
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', desiredCount: 7 });
  t.advance(999);
  expect(t.service().deployments[0]).toMatchObject({ desiredCount: 7, runningCount: 4, rolloutState: 'COMPLETED' });
  t.advance(1);
  expect(t.service().deployments[0]).toMatchObject({ desiredCount: 7, runningCount: 7 });
  expect(t.service().events[1]!.message).toMatch(/^\(service checkout\) has started 3 tasks/);
});

it('lets a newer deployment supersede one still in progress, and drains both older ones when it completes', () => {
  const t = setup();
  const v2 = t.register('repo/checkout:v2');
  const v3 = t.register('repo/checkout:v3');
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: v2 });
  t.advance(500);
  t.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: v3 });
  expect(t.service().deployments.map((d) => [d.status, d.rolloutState])).toEqual([
    ['PRIMARY', 'IN_PROGRESS'],
    ['ACTIVE', 'IN_PROGRESS'],
    ['ACTIVE', 'COMPLETED'],
  ]);
  t.advance(1000);
  expect(t.service().deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: v3, rolloutState: 'COMPLETED' })]);
});

it('refuses more than ten services in one DescribeServices, as ECS does', () => {
  const t = setup();
  expect(() => t.ecs.describeServices({ cluster: 'staging', services: Array.from({ length: 11 }, (_, i) => `s${i}`) })).toThrow(EcsError);
});
