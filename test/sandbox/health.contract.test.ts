/** The services' health endpoints follow the image that is actually serving and the scenario. */
import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { handleHealthRequest } from '../../src/sandbox/health';
import { scenarioPatchSchema } from '../../src/sandbox/scenario';
import { clockedEmulator } from '../support/clocked-emulator';
import { getJson, STAGING, until, useEcsSandbox } from '../support/sandbox-clients';

const env = useEcsSandbox();

const health = (cluster = 'staging', service = 'checkout') => getJson(`${env.sandbox.url}/services/${cluster}/${service}/health`);

/** Deploys `tag`; with `breaker`, the circuit breaker (without rollback) fails a crashing rollout, as ECS does only when it is on. */
async function deploy(tag: string, breaker = false): Promise<void> {
  const image = `repo/checkout:${tag}`;
  const td = await env.ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image }] }));
  await env.ecs.send(
    new UpdateServiceCommand({
      cluster: 'staging',
      service: 'checkout',
      taskDefinition: td.taskDefinition!.taskDefinitionArn,
      ...(breaker ? { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } } : {}),
    }),
  );
}

it('answers 200 for a healthy running image', async () => {
  expect(await health()).toEqual({
    status: 200,
    body: expect.objectContaining({ status: 'ok', image: STAGING.image }) as unknown,
  });
});

it('answers 503 once an unhealthy image has rolled out, and keeps the old image serving while it rolls', async () => {
  env.sandbox.setScenario({ images: { sick: 'unhealthy', sick2: 'unhealthy' }, deploymentDelayMs: 60_000 });
  await deploy('sick');
  // Still rolling: the old, healthy tasks answer.
  expect(await health()).toMatchObject({ status: 200, body: { image: STAGING.image } });

  env.sandbox.setScenario({ deploymentDelayMs: 200 });
  await deploy('sick2');
  const after = await until(health, (r) => r.status !== 200);
  expect(after).toEqual({ status: 503, body: expect.objectContaining({ status: 'unhealthy', image: 'repo/checkout:sick2' }) as unknown });
});

it('follows the scenario live: a running image turned unhealthy answers 503 at once', async () => {
  env.sandbox.setScenario({ images: { [STAGING.image]: 'unhealthy' } });
  expect(await health()).toMatchObject({ status: 503, body: { status: 'unhealthy' } });
});

it('keeps answering from the old deployment after a crashing image failed', async () => {
  env.sandbox.setScenario({ images: { boom: 'crash' } });
  await deploy('boom', true);
  await until(
    async () => env.sandbox.state() as { ecs: { clusters: { services: { deployments: { rolloutState: string }[] }[] }[] } },
    (s) => s.ecs.clusters[0]!.services[0]!.deployments[0]!.rolloutState === 'FAILED',
  );
  expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', image: STAGING.image } });
});

it('answers 503 for a service with no running tasks and 404 for an unknown one', async () => {
  expect(await health('production', 'checkout-canary')).toMatchObject({ status: 503, body: { status: 'unavailable' } });
  expect(await health('staging', 'nope')).toMatchObject({ status: 404 });
  expect(env.sandbox.calls().health.map((c) => [c.operation, c.status])).toEqual([
    ['GET health production/checkout-canary', 503],
    ['GET health staging/nope', 404],
  ]);
});

describe('slow-start:<seconds>', () => {
  it('rolls out like a healthy image, then answers 503 "starting" until warmed up, then 200', async () => {
    env.sandbox.setScenario({ images: { warm: 'slow-start:60' } });
    await deploy('warm');
    const starting = await until(health, (r) => (r.body as { image?: string }).image === 'repo/checkout:warm');
    expect(starting).toEqual({ status: 503, body: expect.objectContaining({ status: 'starting', readyAt: expect.any(String) }) as unknown });
    const state = env.sandbox.state() as { ecs: { clusters: { services: { deployments: { rolloutState: string }[] }[] }[] } };
    expect(state.ecs.clusters[0]!.services[0]!.deployments[0]!.rolloutState).toBe('COMPLETED');

    // The health endpoint follows the scenario as it is now: a warm-up already over answers 200.
    env.sandbox.setScenario({ images: { warm: 'slow-start:0.001' } });
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', image: 'repo/checkout:warm' } });
    expect(env.sandbox.calls().health.map((c) => c.status)).toContain(503);
  });

  it('counts the warm-up from when the deployment\'s tasks started, on the emulator\'s clock', () => {
    const e = clockedEmulator({ desiredCount: 2, delayMs: 1000 });
    const req = { method: 'GET', path: '/services/staging/checkout/health', query: new URLSearchParams(), headers: {}, body: '' };
    const answer = () => handleHealthRequest({ ecs: e.ecs, scenario: e.scenario, now: e.now }, req, { cluster: 'staging', service: 'checkout' });
    e.scenario.merge({ images: { warm: 'slow-start:5' } });
    e.ecs.updateService({ cluster: 'staging', service: 'checkout', taskDefinition: e.register('repo/checkout:warm') });
    // Rolling: the old tasks answer.
    expect(answer()).toMatchObject({ status: 200, body: { image: STAGING.image } });
    e.advance(1000);
    expect(answer()).toMatchObject({ status: 503, body: { status: 'starting', image: 'repo/checkout:warm', readyAt: new Date(e.now() + 5000).toISOString() } });
    e.advance(4999);
    expect(answer().status).toBe(503);
    e.advance(1);
    expect(answer()).toMatchObject({ status: 200, body: { status: 'ok', image: 'repo/checkout:warm' } });
  });

  it('is a valid image behaviour between 0 and a day, and a container warming up is better than an unhealthy one', () => {
    expect(scenarioPatchSchema.safeParse({ images: { a: 'slow-start:30', b: 'slow-start:0.5' } }).success).toBe(true);
    for (const bad of ['slow-start:', 'slow-start:0', 'slow-start:-1', 'slow-start:1e3', 'slow-start:90000', 'slow_start:5']) {
      expect(scenarioPatchSchema.safeParse({ images: { x: bad } }).success).toBe(false);
    }
    const e = clockedEmulator({ desiredCount: 1 });
    e.scenario.merge({ images: { a: 'slow-start:30', b: 'slow-start:5', c: 'unhealthy' } });
    expect(e.scenario.taskLifecycle(['r/x:a', 'r/x:b', 'r/x:ok'])).toBe('slow-start:30');
    expect(e.scenario.taskLifecycle(['r/x:a', 'r/x:c'])).toBe('unhealthy');
  });
});
