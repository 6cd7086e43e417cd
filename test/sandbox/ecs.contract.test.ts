/** The ECS emulator through the real @aws-sdk/client-ecs, configured by endpoint only. */
import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { until, useEcsSandbox } from '../support/sandbox-clients';

const IMAGE_V2 = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:v2';

const env = useEcsSandbox();

async function describe1(cluster: string, service: string): Promise<Service> {
  const out = await env.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return out.services![0]!;
}

/** Registers a copy of the staging task definition with `image`, as the release activity does. */
async function registerImage(image: string, family = 'checkout-staging'): Promise<string> {
  const out = await env.ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image, essential: true }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

describe('DescribeServices', () => {
  it('returns seeded services with a completed PRIMARY deployment, and missing ones as failures', async () => {
    const out = await env.ecs.send(new DescribeServicesCommand({ cluster: 'production', services: ['checkout', 'checkout-canary', 'nope'] }));
    const [stable, canary] = out.services!;
    expect(stable).toMatchObject({
      serviceName: 'checkout',
      serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/production/checkout',
      status: 'ACTIVE',
      desiredCount: 9,
      runningCount: 9,
      taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-production:1',
    });
    expect(stable!.deployments).toEqual([
      expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 9, runningCount: 9, failedTasks: 0 }),
    ]);
    // Epoch seconds on the wire become Dates in the SDK; a milliseconds mistake would land in the far future.
    expect(stable!.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(stable!.createdAt!.getTime() - Date.now())).toBeLessThan(3_600_000);
    // Stable and canary share the family and image, so they share a revision.
    expect(canary).toMatchObject({ serviceName: 'checkout-canary', desiredCount: 0, runningCount: 0, taskDefinition: stable!.taskDefinition });
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/production/nope', reason: 'MISSING' }]);
  });

  it('accepts ARNs for cluster and service', async () => {
    const out = await env.ecs.send(
      new DescribeServicesCommand({
        cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/staging',
        services: ['arn:aws:ecs:us-east-1:000000000000:service/staging/checkout'],
      }),
    );
    expect(out.services!.map((s) => s.serviceName)).toEqual(['checkout']);
  });

  it('throws ClusterNotFoundException for an unknown cluster', async () => {
    await expect(env.ecs.send(new DescribeServicesCommand({ cluster: 'nowhere', services: ['checkout'] }))).rejects.toBeInstanceOf(ClusterNotFoundException);
  });
});

describe('task definitions', () => {
  it('round-trips DescribeTaskDefinition → RegisterTaskDefinition into a new revision with tags', async () => {
    const current = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-staging', include: ['TAGS'] }));
    expect(current.taskDefinition).toMatchObject({ family: 'checkout-staging', revision: 1, status: 'ACTIVE' });
    expect(current.tags).toEqual([{ key: 'managed-by', value: 'runway-sandbox' }]);

    const { taskDefinitionArn: _a, revision: _r, status: _s, requiresAttributes: _q, compatibilities: _c, registeredAt: _t, registeredBy: _b, ...copy } =
      current.taskDefinition!;
    const containerDefinitions = copy.containerDefinitions!.map((c) => ({ ...c, image: IMAGE_V2 }));
    const registered = await env.ecs.send(new RegisterTaskDefinitionCommand({ ...copy, family: copy.family!, containerDefinitions, tags: [...current.tags!, { key: 'release', value: 'v2' }] }));
    expect(registered.taskDefinition).toMatchObject({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:2',
      revision: 2,
      cpu: '256',
      networkMode: 'awsvpc',
    });

    // Registering the same thing again is not idempotent: it makes revision 3.
    const again = await env.ecs.send(new RegisterTaskDefinitionCommand({ ...copy, family: copy.family!, containerDefinitions }));
    expect(again.taskDefinition!.revision).toBe(3);

    for (const ref of ['checkout-staging:2', registered.taskDefinition!.taskDefinitionArn!]) {
      const read = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }));
      expect(read.taskDefinition!.containerDefinitions![0]!.image).toBe(IMAGE_V2);
      expect(read.tags).toEqual([{ key: 'managed-by', value: 'runway-sandbox' }, { key: 'release', value: 'v2' }]);
    }
    // Without include: ['TAGS'] there are no tags; the bare family means the latest revision.
    const latest = await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-staging' }));
    expect(latest.taskDefinition!.revision).toBe(3);
    expect(latest.tags).toBeUndefined();
  });

  it('lists a family newest first, so a retry can find a revision that already has the image', async () => {
    await registerImage(IMAGE_V2);
    await registerImage(IMAGE_V2, 'checkout-production');
    const out = await env.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'checkout-staging', sort: 'DESC', status: 'ACTIVE' }));
    expect(out.taskDefinitionArns).toEqual([
      'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:2',
      'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:1',
    ]);
    const page = await env.ecs.send(new ListTaskDefinitionsCommand({ maxResults: 2 }));
    expect(page.taskDefinitionArns).toHaveLength(2);
    const rest = await env.ecs.send(new ListTaskDefinitionsCommand({ maxResults: 2, nextToken: page.nextToken }));
    expect(rest.taskDefinitionArns).toHaveLength(2);
    expect(rest.nextToken).toBeUndefined();
  });

  it('refuses unknown task definitions and registrations without an image', async () => {
    await expect(env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-staging:99' }))).rejects.toBeInstanceOf(ClientException);
    await expect(
      env.ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: '' }] })),
    ).rejects.toThrow(/image/);
  });
});

describe('UpdateService', () => {
  it('starts an IN_PROGRESS deployment that completes after the delay and replaces the old one', async () => {
    const arn = await registerImage(IMAGE_V2);
    const out = await env.ecs.send(
      new UpdateServiceCommand({
        cluster: 'staging',
        service: 'checkout',
        taskDefinition: arn,
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    expect(out.service!.taskDefinition).toBe(arn);
    expect(out.service!.deploymentConfiguration!.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    const [primary, old] = out.service!.deployments!;
    expect(primary).toMatchObject({ status: 'PRIMARY', taskDefinition: arn, rolloutState: 'IN_PROGRESS', runningCount: 0, desiredCount: 2 });
    expect(old).toMatchObject({ status: 'ACTIVE', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:1', runningCount: 2 });

    const done = await until(() => describe1('staging', 'checkout'), (s) => s.deployments![0]!.rolloutState !== 'IN_PROGRESS');
    expect(done.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: arn, rolloutState: 'COMPLETED', runningCount: 2 })]);
    expect(done).toMatchObject({ taskDefinition: arn, runningCount: 2, desiredCount: 2 });
    expect(done.events!.slice(0, 2).map((e) => e.message)).toEqual([
      '(service checkout) has reached a steady state.',
      expect.stringMatching(/^\(service checkout\) has started 2 tasks: /),
    ]);
  });

  it('fails a crashing image through the circuit breaker, leaving the old deployment running', async () => {
    env.sandbox.setScenario({ images: { bad1234: 'crash' } });
    const arn = await registerImage('000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:bad1234');
    await env.ecs.send(
      new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: arn, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } }),
    );

    const failed = await until(() => describe1('staging', 'checkout'), (s) => s.deployments![0]!.rolloutState !== 'IN_PROGRESS');
    expect(failed.deployments![0]).toMatchObject({
      status: 'PRIMARY',
      taskDefinition: arn,
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      runningCount: 0,
      failedTasks: 3,
    });
    expect(failed.deployments![1]).toMatchObject({ status: 'ACTIVE', runningCount: 2 });
    expect(failed.events![0]!.message).toMatch(/deployment failed: tasks failed to start\. Essential container in task exited/);
  });

  it('without a circuit breaker keeps a crashing rollout IN_PROGRESS, replacing tasks while failedTasks grows', async () => {
    env.sandbox.setScenario({ images: { bad1234: 'crash' } });
    const arn = await registerImage('000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:bad1234');
    // The seeded service has the breaker off, and this update leaves it so.
    const out = await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: arn }));
    expect(out.service!.deploymentConfiguration!.deploymentCircuitBreaker).toEqual({ enable: false, rollback: false });

    // Past the breaker's threshold (3 for 2 tasks), which would have failed it with the breaker on.
    const looping = await until(() => describe1('staging', 'checkout'), (s) => (s.deployments![0]!.failedTasks ?? 0) > 3);
    expect(looping.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: arn, rolloutState: 'IN_PROGRESS', runningCount: 0, pendingCount: 2 });
    expect(looping.deployments![1]).toMatchObject({ status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 2 });
    expect(looping.events!.map((e) => e.message)).toContainEqual(expect.stringMatching(/is unable to consistently start tasks successfully/));
    expect(looping.events!.map((e) => e.message)).not.toContainEqual(expect.stringMatching(/deployment failed/));
  });

  it('rescales the PRIMARY in place when only desiredCount changes, and 0 is complete at once', async () => {
    const canary = await env.ecs.send(new UpdateServiceCommand({ cluster: 'production', service: 'checkout-canary', desiredCount: 1 }));
    expect(canary.service!.deployments).toHaveLength(1);
    expect(canary.service!.deployments![0]).toMatchObject({ status: 'PRIMARY', desiredCount: 1, runningCount: 0 });
    const scaled = await until(() => describe1('production', 'checkout-canary'), (s) => s.runningCount === 1);
    expect(scaled.deployments).toEqual([expect.objectContaining({ desiredCount: 1, runningCount: 1, rolloutState: 'COMPLETED' })]);

    const arn = await registerImage(IMAGE_V2, 'checkout-production');
    const zero = await env.ecs.send(new UpdateServiceCommand({ cluster: 'production', service: 'checkout-canary', taskDefinition: arn, desiredCount: 0 }));
    expect(zero.service!.deployments).toEqual([expect.objectContaining({ taskDefinition: arn, desiredCount: 0, rolloutState: 'COMPLETED' })]);
  });

  it('makes a new deployment of the same task definition with forceNewDeployment only', async () => {
    const same = await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: 'checkout-staging:1' }));
    expect(same.service!.deployments).toHaveLength(1);
    const forced = await env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', forceNewDeployment: true }));
    expect(forced.service!.deployments!.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
  });

  it('answers unknown services, clusters and task definitions with ECS exceptions', async () => {
    await expect(env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'nope', desiredCount: 1 }))).rejects.toBeInstanceOf(ServiceNotFoundException);
    await expect(env.ecs.send(new UpdateServiceCommand({ cluster: 'nowhere', service: 'checkout' }))).rejects.toBeInstanceOf(ClusterNotFoundException);
    await expect(env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', taskDefinition: 'ghost:1' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: -1 }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });
});
