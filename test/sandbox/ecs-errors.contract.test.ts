/**
 * How ECS errors cross the activity boundary, through the real @aws-sdk/client-ecs and the
 * emulator's wire-level faults: throttling and 5xx are retried by the SDK a little, then become
 * retryable failures so Temporal backs off; a missing cluster or service, access denied, an
 * invalid parameter or a wrong container name are non-retryable and name what is wrong.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { createMigrationActivities } from '../../activities/ecs-migration';
import { createEcsTaskActivities } from '../../activities/ecs-tasks';
import { FailureType, RetryableAwsType } from '../../activities/errors';
import { failureOf, quietLogger } from '../support/activity-env';
import { useEcsSandbox } from '../support/sandbox-clients';

const current = useEcsSandbox();
const ref = { cluster: 'staging', service: 'checkout' };
const IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:next';

/** The SDK's own retry on, as in production (createEcsClient), but short. */
function retryingClient(maxAttempts: number): ECSClient {
  return new ECSClient({ endpoint: current.sandbox.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts });
}

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment(undefined, { logger: quietLogger }).run(fn, ...args);

const statuses = (operation: string) => current.sandbox.calls().ecs.filter((c) => c.operation === operation).map((c) => c.status);

async function stagingTaskDefinition(): Promise<string> {
  const out = await current.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
  return out.services![0]!.taskDefinition!;
}

describe('retryable', () => {
  it('throttling beyond the SDK retries becomes a retryable AwsThrottled failure naming the service', async () => {
    current.sandbox.setScenario({ ecs: { throttle: { operations: ['DescribeServices'], count: 5 } } });
    const ecs = retryingClient(3);
    try {
      const failure = await failureOf(run(createEcsActivities({ ecs }).describeService, ref));
      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe(RetryableAwsType.throttled);
      expect(failure.message).toMatch(/^describing ECS service staging\/checkout: ThrottlingException/);
    } finally {
      ecs.destroy();
    }
    // The SDK tried three times before giving the decision to Temporal.
    expect(statuses('DescribeServices')).toEqual([400, 400, 400]);
  });

  it('5xx beyond the SDK retries becomes a retryable AwsUnavailable failure, and the service is unchanged', async () => {
    current.sandbox.setScenario({ ecs: { failNext: { operation: 'UpdateService', status: 503, count: 5 } } });
    const before = await stagingTaskDefinition();
    const ecs = retryingClient(2);
    try {
      const failure = await failureOf(run(createEcsActivities({ ecs }).updateService, { ...ref, desiredCount: 5 }));
      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe(RetryableAwsType.unavailable);
      expect(failure.message).toMatch(/^updating ECS service staging\/checkout: ServiceUnavailable: /);
    } finally {
      ecs.destroy();
    }
    expect(statuses('UpdateService')).toEqual([503, 503]);
    const service = (await current.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).services![0]!;
    expect([service.taskDefinition, service.desiredCount]).toEqual([before, 2]);
  });

  it('a 5xx the SDK retry absorbs never reaches the activity', async () => {
    current.sandbox.setScenario({ ecs: { failNext: { operation: 'UpdateService', status: 500, count: 1 } } });
    const ecs = retryingClient(3);
    try {
      await expect(run(createEcsActivities({ ecs }).updateService, { ...ref, desiredCount: 3 })).resolves.toMatchObject({ changed: true });
    } finally {
      ecs.destroy();
    }
    expect(statuses('UpdateService')).toEqual([500, 200]);
  });
});

describe('non-retryable, naming what is wrong', () => {
  it('an unknown cluster', async () => {
    const failure = await failureOf(run(createEcsActivities({ ecs: current.ecs }).describeService, { cluster: 'nope', service: 'checkout' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.notFound });
    expect(failure.message).toBe('describing ECS service nope/checkout: ClusterNotFoundException: Cluster not found.');
  });

  it('an unknown service, whether ECS reports it in failures[] or as ServiceNotFoundException', async () => {
    const update = await failureOf(run(createEcsActivities({ ecs: current.ecs }).updateService, { cluster: 'staging', service: 'gone', desiredCount: 1 }));
    expect(update).toMatchObject({ nonRetryable: true, type: FailureType.notFound, message: 'ECS service staging/gone not found (MISSING)' });
    const crashed = await failureOf(run(createEcsTaskActivities({ ecs: current.ecs }).countCrashedTasks, { cluster: 'staging', service: 'gone', taskDefinition: 'x:1' }));
    expect(crashed).toMatchObject({ nonRetryable: true, type: FailureType.notFound });
    expect(crashed.message).toMatch(/^listing stopped tasks of ECS service staging\/gone: ServiceNotFoundException/);
  });

  it('access denied names the IAM action the worker role lacks, and nothing was changed', async () => {
    current.sandbox.setScenario({ ecs: { accessDenied: { operations: ['UpdateService'], count: 1 } } });
    const failure = await failureOf(run(createEcsActivities({ ecs: current.ecs }).updateService, { ...ref, desiredCount: 7 }));
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.accessDenied });
    expect(failure.message).toMatch(/^updating ECS service staging\/checkout: AccessDeniedException: .*not authorized to perform: ecs:UpdateService.*\(the worker's IAM role needs ecs:UpdateService\)$/);
    expect(statuses('UpdateService')).toEqual([400]);
  });

  it('access denied on RunTask names ecs:RunTask and iam:PassRole', async () => {
    current.sandbox.setScenario({ ecs: { accessDenied: { operations: ['RunTask'], count: 1 } } });
    const failure = await failureOf(
      run(createMigrationActivities({ ecs: current.ecs }).runMigration, { cluster: 'staging', taskDefinition: 'checkout-staging', container: 'app', command: ['migrate'], releaseId: 'r-1' }),
    );
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.accessDenied });
    expect(failure.message).toMatch(/needs ecs:RunTask \(and iam:PassRole for the task's roles\)\)$/);
  });

  it('an invalid parameter (a task definition ECS does not know) names the service', async () => {
    const failure = await failureOf(run(createEcsActivities({ ecs: current.ecs }).updateService, { ...ref, taskDefinition: 'checkout-staging:99' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.invalidRequest });
    expect(failure.message).toBe('updating ECS service staging/checkout: InvalidParameterException: TaskDefinition not found.');
  });

  it('a container name the task definition does not have names both, and registers nothing', async () => {
    const failure = await failureOf(run(createEcsActivities({ ecs: current.ecs }).prepareTaskDefinition, { source: ref, container: 'web', image: IMAGE }));
    expect(failure).toMatchObject({ nonRetryable: true, type: FailureType.invalidRequest });
    expect(failure.message).toMatch(/checkout-staging:1 has no container named "web" \(has: app\)$/);
    expect(statuses('RegisterTaskDefinition')).toEqual([]);
  });
});
