/**
 * runMigration with a fake ECS client: the task is placed like the production service's tasks,
 * and DescribeTasks answering MISSING just after RunTask (eventual consistency) is waited out
 * for a grace period instead of failing at once.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createMigrationActivities, MIGRATION_FAILED, type RunMigrationInput } from '../../activities/ecs-migration';
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
  return { ecs, sent, inputsOf: (command: string) => sent.filter((s) => s.command === command).map((s) => s.input) };
}

const TASK = 'arn:aws:ecs:us-east-1:1:task/prod/abc';
const input: RunMigrationInput = { cluster: 'prod', service: 'web', taskDefinition: 'web:7', container: 'app', command: ['migrate'], releaseId: 'release-web-abc' };
const network = { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } };
const stopped = (exitCode = 0) => ({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', containers: [{ name: 'app', exitCode }] }], failures: [] });
const missing = () => ({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
const started = (createdAt = new Date()) => ({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING', createdAt }], failures: [] });

const env = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: quietLogger });
const activities = (ecs: ECSClient, missingGraceMs?: number) => createMigrationActivities({ ecs, options: { pollIntervalMs: 1, missingGraceMs } });

describe('placement', () => {
  it('copies networkConfiguration, launchType and platformVersion from the production service into RunTask', async () => {
    const fake = fakeEcs({
      DescribeServices: () => ({ services: [{ serviceName: 'web', networkConfiguration: network, launchType: 'FARGATE', platformVersion: '1.4.0' }], failures: [] }),
      RunTask: () => started(),
      DescribeTasks: () => stopped(),
    });
    await env().run(activities(fake.ecs).runMigration, input);
    expect(fake.inputsOf('DescribeServices')).toEqual([{ cluster: 'prod', services: ['web'] }]);
    expect(fake.inputsOf('RunTask')[0]).toMatchObject({ networkConfiguration: network, launchType: 'FARGATE', platformVersion: '1.4.0' });
    expect(fake.inputsOf('RunTask')[0]).not.toHaveProperty('capacityProviderStrategy');
  });

  it('sends a capacity provider strategy instead of a launch type when the service uses one (ECS refuses both)', async () => {
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    const fake = fakeEcs({
      DescribeServices: () => ({ services: [{ networkConfiguration: network, launchType: 'FARGATE', capacityProviderStrategy: strategy }], failures: [] }),
      RunTask: () => started(),
      DescribeTasks: () => stopped(),
    });
    await env().run(activities(fake.ecs).runMigration, input);
    const runTask = fake.inputsOf('RunTask')[0]!;
    expect(runTask).toMatchObject({ capacityProviderStrategy: strategy, networkConfiguration: network });
    expect(runTask).not.toHaveProperty('launchType');
  });

  it('without a service, runs the task as before: no DescribeServices, no placement fields', async () => {
    const fake = fakeEcs({ RunTask: () => started(), DescribeTasks: () => stopped() });
    const { service: _s, ...withoutService } = input;
    await env().run(activities(fake.ecs).runMigration, withoutService);
    expect(fake.sent.map((s) => s.command)).toEqual(['RunTask', 'DescribeTasks']);
    expect(Object.keys(fake.inputsOf('RunTask')[0]!).sort()).toEqual(['clientToken', 'cluster', 'count', 'overrides', 'startedBy', 'taskDefinition']);
  });

  it('fails without retry, naming the service, when the service to copy from does not exist', async () => {
    const fake = fakeEcs({ DescribeServices: () => ({ services: [], failures: [{ reason: 'MISSING' }] }) });
    const failure = await failureOf(env().run(activities(fake.ecs).runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'NotFound' });
    expect(failure.message).toMatch(/^ECS service prod\/web not found \(MISSING\)/);
    expect(fake.inputsOf('RunTask')).toEqual([]);
  });
});

describe('a task DescribeTasks does not know (yet)', () => {
  const placement = () => ({ services: [{ networkConfiguration: network, launchType: 'FARGATE' }], failures: [] });

  it('keeps polling through MISSING answers right after RunTask, then reads the outcome', async () => {
    let reads = 0;
    const fake = fakeEcs({ DescribeServices: placement, RunTask: () => started(), DescribeTasks: () => (++reads <= 2 ? missing() : stopped()) });
    const e = env();
    const beats: { lastStatus?: string }[] = [];
    e.on('heartbeat', (d: { lastStatus?: string }) => beats.push(d));
    await expect(e.run(activities(fake.ecs).runMigration, input)).resolves.toEqual({ taskArn: TASK, exitCode: 0 });
    expect(fake.inputsOf('DescribeTasks')).toHaveLength(3);
    expect(beats.map((b) => b.lastStatus)).toEqual([undefined, 'MISSING', 'MISSING']);
    expect(fake.inputsOf('RunTask')).toHaveLength(1);
  });

  it('says the outcome is unknown once the grace period after the task\'s start has passed', async () => {
    const fake = fakeEcs({ DescribeServices: placement, RunTask: () => started(), DescribeTasks: missing });
    const failure = await failureOf(env().run(activities(fake.ecs, 50).runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(failure.message).toMatch(/^migration task .*task\/prod\/abc is not known to ECS \(MISSING\) \d+ s after it was started; its outcome is unknown$/);
    // It polled more than once before giving up.
    expect(fake.inputsOf('DescribeTasks').length).toBeGreaterThan(1);
  });

  it('fails at once when the task was started long ago (ECS has forgotten it), counting from ECS\'s creation time', async () => {
    const fake = fakeEcs({ DescribeServices: placement, RunTask: () => started(new Date(Date.now() - 2 * 3_600_000)), DescribeTasks: missing });
    const failure = await failureOf(env().run(activities(fake.ecs).runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(fake.inputsOf('DescribeTasks')).toHaveLength(1);
  });

  it('on a retry, counts the grace from the creation time its lost attempt heartbeated', async () => {
    const fake = fakeEcs({ DescribeTasks: missing });
    const heartbeatDetails = { taskArn: TASK, createdAtMs: Date.now() - 3_600_000 };
    const failure = await failureOf(env({ attempt: 2, heartbeatDetails }).run(activities(fake.ecs).runMigration, input));
    expect(failure).toMatchObject({ nonRetryable: true, type: MIGRATION_FAILED });
    expect(fake.sent.map((s) => s.command)).toEqual(['DescribeTasks']);
  });
});
