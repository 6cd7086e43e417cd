/**
 * Injected throttling, 5xx and latency, through the real @aws-sdk/client-ecs: the client's own
 * retry absorbs throttles and 5xx, and the call log shows every attempt with its status.
 */
import { DescribeServicesCommand, ECSClient, ListTasksCommand, RunTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, STAGING, until } from '../support/sandbox-clients';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING], deploymentDelayMs: 200, recordExchanges: true });
});

afterEach(async () => {
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs);
});

function client(options: ConstructorParameters<typeof ECSClient>[0] = {}): ECSClient {
  return new ECSClient({ endpoint: sandbox.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...options });
}

const statuses = (operation: string) => sandbox.calls().ecs.filter((c) => c.operation === operation).map((c) => c.status);

it('answers the next N matching calls with ThrottlingException; a client with maxAttempts 4 succeeds after 2', async () => {
  sandbox.setScenario({ ecs: { throttle: { operations: ['DescribeServices'], count: 2 } } });
  const ecs = client({ maxAttempts: 4 });
  try {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
    expect(out.services![0]!.serviceName).toBe('checkout');
    expect(out.$metadata.attempts).toBe(3);
  } finally {
    ecs.destroy();
  }
  expect(statuses('DescribeServices')).toEqual([400, 400, 200]);
  // Consumed: nothing left to inject.
  expect(sandbox.scenario().ecs).toEqual({});
});

it('surfaces ThrottlingException to a client that does not retry, and leaves other operations alone', async () => {
  sandbox.setScenario({ ecs: { throttle: { operations: ['UpdateService'], count: 1 } } });
  const ecs = ecsClient(sandbox);
  try {
    await expect(ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).resolves.toBeDefined();
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 3 }))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  } finally {
    ecs.destroy();
  }
  expect(sandbox.calls().ecs.map((c) => [c.operation, c.status])).toEqual([
    ['DescribeServices', 200],
    ['UpdateService', 400],
  ]);
});

it('answers scripted 5xx before the operation runs, so a retried RunTask (no clientToken) still starts one task', async () => {
  sandbox.setScenario({ ecs: { failNext: { operation: 'RunTask', status: 503, count: 2 } }, migrations: { 'checkout-staging': { durationMs: 60_000 } } });
  const ecs = client({ maxAttempts: 4 });
  try {
    const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-a'] } };
    const out = await ecs.send(new RunTaskCommand({ cluster: 'staging', taskDefinition: 'checkout-staging', startedBy: 'faults-test', networkConfiguration }));
    expect(out.tasks).toHaveLength(1);
    expect(out.$metadata.attempts).toBe(3);
    const listed = await ecs.send(new ListTasksCommand({ cluster: 'staging', startedBy: 'faults-test' }));
    expect(listed.taskArns).toEqual([out.tasks![0]!.taskArn]);
  } finally {
    ecs.destroy();
  }
  expect(statuses('RunTask')).toEqual([503, 503, 200]);
});

it('delays answers by latencyMs after the operation ran: a client that gives up still changed the service', async () => {
  sandbox.setScenario({ ecs: { latencyMs: 400 } });
  const ecs = client({ maxAttempts: 1, requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true } });
  try {
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 4 }))).rejects.toThrow();
  } finally {
    ecs.destroy();
  }
  // The answer is recorded once it is sent; wait for it so no timer outlives the test.
  await until(async () => statuses('UpdateService'), (s) => s.length === 1);
  sandbox.setScenario({ ecs: { latencyMs: 0 } });
  const reader = ecsClient(sandbox);
  try {
    const out = await reader.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
    expect(out.services![0]!.desiredCount).toBe(4);
  } finally {
    reader.destroy();
  }
});

it('skips the first matching calls before failing, so a later call (a rollback) can be the one that fails', async () => {
  // A fault's skip counts the matching calls that reach it: the one answered 503 never reaches access denied.
  sandbox.setScenario({ ecs: { failNext: { operation: 'UpdateService', status: 503, count: 1, skip: 1 }, accessDenied: { operations: ['UpdateService'], count: 1, skip: 1 } } });
  const ecs = ecsClient(sandbox);
  try {
    await ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 3 }));
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 4 }))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 4 }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('not authorized to perform: ecs:UpdateService'),
    });
    await ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 4 }));
  } finally {
    ecs.destroy();
  }
  expect(statuses('UpdateService')).toEqual([200, 503, 400, 200]);
  expect(sandbox.scenario().ecs).toEqual({});
});

it('holds the answer of a call that took effect: the change is visible before the client hears of it', async () => {
  sandbox.setScenario({ ecs: { holdResponseAfterEffect: { action: 'UpdateService', ms: 300, count: 1 } } });
  const ecs = ecsClient(sandbox);
  const reader = ecsClient(sandbox);
  try {
    let answered = false;
    const update = ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 6 })).then(() => (answered = true));
    // Consumed when applied: the control API shows the change has happened.
    await until(async () => sandbox.scenario().ecs, (ecsFaults) => ecsFaults?.holdResponseAfterEffect === undefined);
    const seen = await reader.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }));
    expect(seen.services![0]!.desiredCount).toBe(6);
    expect(answered).toBe(false);
    await update;
  } finally {
    ecs.destroy();
    reader.destroy();
  }
  expect(statuses('UpdateService')).toEqual([200]);
});
