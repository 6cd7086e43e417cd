/**
 * prepareTaskDefinition's reuse rule against the emulator, through the real client: a retry
 * finds the revision its earlier attempt registered (what DescribeTaskDefinition echoes of a
 * copy compares equal to the copy), while a revision with the same image but other content is
 * never taken for it.
 */
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { quietLogger } from '../support/activity-env';
import { STAGING, useEcsSandbox } from '../support/sandbox-clients';

const IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:v2';
const input = { source: { cluster: 'staging', service: 'checkout' }, container: 'app', image: IMAGE };

const env = useEcsSandbox([STAGING]);

const prepare = () =>
  new MockActivityEnvironment(undefined, { logger: quietLogger }).run(createEcsActivities({ ecs: env.ecs }).prepareTaskDefinition, input) as Promise<{
    taskDefinitionArn: string;
    registered: boolean;
  }>;
const registrations = () => env.sandbox.calls().ecs.filter((c) => c.operation === 'RegisterTaskDefinition');

it('a second attempt reuses the revision the first registered', async () => {
  const first = await prepare();
  expect(first).toEqual({ taskDefinitionArn: expect.stringMatching(/checkout-staging:2$/), registered: true });
  await expect(prepare()).resolves.toEqual({ taskDefinitionArn: first.taskDefinitionArn, registered: false });
  expect(registrations()).toHaveLength(1);
});

it('registers a new revision rather than reuse one with the same image and other environment variables', async () => {
  // Someone registered v2 in the family with a different configuration (say, another environment's).
  const current = (await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-staging:1' }))).taskDefinition!;
  const other = await env.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'checkout-staging',
      networkMode: current.networkMode,
      requiresCompatibilities: current.requiresCompatibilities,
      cpu: current.cpu,
      memory: current.memory,
      containerDefinitions: [{ ...current.containerDefinitions![0]!, image: IMAGE, environment: [{ name: 'DATABASE_URL', value: 'postgres://production' }] }],
    }),
  );
  const prepared = await prepare();
  expect(prepared.registered).toBe(true);
  expect(prepared.taskDefinitionArn).not.toBe(other.taskDefinition!.taskDefinitionArn);
  const registered = (await env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: prepared.taskDefinitionArn }))).taskDefinition!;
  expect(registered.containerDefinitions![0]).toMatchObject({ image: IMAGE });
  expect(registered.containerDefinitions![0]!.environment ?? []).toEqual([]);
});
