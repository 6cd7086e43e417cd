/** The services' health endpoints follow the image that is actually serving and the scenario. */
import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
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
