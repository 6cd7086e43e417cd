/**
 * The ECS API model check itself (test/support/ecs-model.ts) must be able to fail: answers the
 * emulator really gave pass, and the same answers with one field made wrong are caught, naming
 * the field. The ECS contract tests run this check after every test, on every call they made.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { startSandbox } from '../../src/sandbox';
import { EcsEmulator } from '../../src/sandbox/ecs/emulator';
import { ScenarioStore } from '../../src/sandbox/scenario';
import { ecsModel, expectEcsCallsToFollowModel, modelChecked } from '../support/ecs-model';
import { STAGING, useEcsSandbox } from '../support/sandbox-clients';

const env = useEcsSandbox([STAGING]);

type Json = Record<string, unknown>;

/** The call `send` made, as the contract tests' check sees it in the call log (a deep copy: free to tamper with). */
async function recorded(send: () => Promise<unknown>) {
  await send();
  const call = env.sandbox.calls().ecs.at(-1)!;
  expect(call.exchange).toBeDefined();
  return { ...call, body: call.exchange!.responseBody as Json };
}

const problems = (call: Parameters<ReturnType<typeof ecsModel>['checkCall']>[0]) => ecsModel().checkCall(call).map((v) => `${v.where} ${v.problem}`);

describe('answers the emulator gave, checked as recorded', () => {
  it('passes a real DescribeServices answer, and catches a wrong enum value, a wrong type, an unknown member and a missing required member', async () => {
    const call = await recorded(() => env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] })));
    expect(problems(call)).toEqual([]);

    const service = (call.body.services as Json[])[0]!;
    const deployment = (service.deployments as Json[])[0]!;
    deployment.rolloutState = 'DONE';
    deployment.rolloutPercent = 100;
    service.desiredCount = '2';
    delete ((service.deploymentConfiguration as Json).deploymentCircuitBreaker as Json).rollback;
    expect(problems(call)).toEqual([
      'DescribeServices output: services[0].desiredCount is string "2", not a whole number (integer Integer)',
      'DescribeServices output: services[0].deploymentConfiguration.deploymentCircuitBreaker.rollback is required by DeploymentCircuitBreaker and missing',
      'DescribeServices output: services[0].deployments[0].rolloutState is "DONE", not one of DeploymentRolloutState\'s values: COMPLETED, FAILED, IN_PROGRESS',
      'DescribeServices output: services[0].deployments[0].rolloutPercent is not a member of Deployment',
    ]);
    // What the contract tests run after each test: the same tampered call fails it.
    expect(() => expectEcsCallsToFollowModel([call])).toThrow(/call #\d+ DescribeServices → HTTP 200:\n {2}- DescribeServices output: services\[0\]\.desiredCount/);
  });

  it('wants timestamps as epoch seconds and no nulls', async () => {
    const call = await recorded(() => env.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'checkout-staging:1', include: ['TAGS'] })));
    expect(problems(call)).toEqual([]);
    const taskDefinition = call.body.taskDefinition as Json;
    taskDefinition.registeredAt = new Date().toISOString();
    taskDefinition.taskRoleArn = null;
    expect(problems(call)).toEqual([
      expect.stringMatching(/^DescribeTaskDefinition output: taskDefinition\.registeredAt is string "\d{4}-.*", not epoch seconds \(timestamp Timestamp\)$/),
      'DescribeTaskDefinition output: taskDefinition.taskRoleArn is null (String); ECS leaves absent members out',
    ]);
  });

  it('checks the request too: a missing required member and a value outside the model', async () => {
    const call = await recorded(() => env.ecs.send(new UpdateServiceCommand({ cluster: 'staging', service: 'checkout', desiredCount: 2 })));
    expect(problems(call)).toEqual([]);
    const request = call.request as Record<string, unknown>;
    delete request.service;
    request.deploymentConfiguration = { maximumPercent: 200, strategy: 'BIG_BANG', deploymentCircuitBreaker: { enable: true } };
    expect(problems(call)).toEqual([
      'UpdateService input: service is required by UpdateServiceRequest and missing',
      'UpdateService input: deploymentConfiguration.strategy is "BIG_BANG", not one of DeploymentStrategy\'s values: ROLLING, BLUE_GREEN, LINEAR, CANARY',
      'UpdateService input: deploymentConfiguration.deploymentCircuitBreaker.rollback is required by DeploymentCircuitBreaker and missing',
    ]);
  });

  it('accepts only errors the operation may answer, with their status class', async () => {
    env.sandbox.setScenario({ ecs: { failNext: { operation: 'DescribeServices', status: 503, count: 1 } } });
    await expect(env.ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['checkout'] }))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    const call = env.sandbox.calls().ecs.at(-1)!;
    expect(problems(call)).toEqual([]);
    const body = call.exchange!.responseBody as Json;
    // What the emulator answered before this check existed: a name no AWS model or common error list has.
    body.__type = 'ServiceUnavailableException';
    expect(problems(call)).toEqual([expect.stringMatching(/^DescribeServices error __type ServiceUnavailableException is neither an error DescribeServices may answer \(AccessDeniedException, .*\) nor an AWS common error$/)]);
    // A modelled error of another operation, and a client error answered as a server fault.
    body.__type = 'ServiceNotFoundException';
    expect(problems(call)).toEqual([expect.stringMatching(/__type ServiceNotFoundException is neither an error DescribeServices may answer/)]);
    body.__type = 'ClusterNotFoundException';
    expect(problems(call)).toEqual(['DescribeServices error ClusterNotFoundException is a 4xx error in the model, answered with HTTP 503']);
  });

  it('exempts a request a test malformed on purpose only when the emulator refused it, and still checks the answer', async () => {
    // A sandbox of its own: the file's after-each check (rightly) refuses this call.
    const sandbox = await startSandbox({ port: 0, services: [STAGING], recordExchanges: true });
    try {
      const res = await fetch(`${sandbox.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices' },
        body: JSON.stringify({ cluster: 'staging', service: ['checkout'] }),
      });
      expect(res.status).toBe(400);
    } finally {
      await sandbox.close();
    }
    const calls = sandbox.calls().ecs;
    expect(() => expectEcsCallsToFollowModel(calls)).toThrow(/DescribeServices input: service is not a member of DescribeServicesRequest/);
    expect(() => expectEcsCallsToFollowModel(calls, { allowRefusedRequests: true })).not.toThrow();
    (calls[0]!.exchange!.responseBody as Record<string, unknown>).__type = 'BadRequest';
    expect(() => expectEcsCallsToFollowModel(calls, { allowRefusedRequests: true })).toThrow(/__type BadRequest is neither/);
  });
});

describe('the emulator driven directly (no HTTP), as the clocked tests do', () => {
  it('throws at the call whose answer breaks the model', () => {
    const ecs = new EcsEmulator({ scenario: new ScenarioStore(0), now: () => 1_700_000_000_000 });
    ecs.seed([STAGING]);
    const checked = modelChecked(ecs);
    expect(() => checked.describeServices({ cluster: 'staging', services: ['checkout'] })).not.toThrow();
    const real = ecs.describeServices.bind(ecs);
    jest.spyOn(ecs, 'describeServices').mockImplementation((input) => {
      const out = real(input) as { services: Record<string, unknown>[] };
      out.services[0]!.launchType = 'LAMBDA';
      return out;
    });
    expect(() => checked.describeServices({ cluster: 'staging', services: ['checkout'] })).toThrow(
      /^DescribeServices breaks the ECS API model \(botocore [\d.]+\):\n {2}- DescribeServices output: services\[0\]\.launchType is "LAMBDA", not one of LaunchType's values/,
    );
  });
});
