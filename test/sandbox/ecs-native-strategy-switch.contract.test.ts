/**
 * A service moved from one of ECS's own strategies to another by UpdateService: the stored
 * strategy's own configuration (canaryConfiguration, linearConfiguration) does not follow it, so
 * a team that changes `production.strategy` is not refused by its own past. Through the real
 * @aws-sdk/client-ecs, every call held to botocore's ECS model.
 */
import { DescribeServicesCommand, type ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { sandboxLoadBalancer } from '../../src/stack/sandbox-strategy';
import { expectEcsCallsToFollowModel } from '../support/ecs-model';
import { ecsClient, STAGING } from '../support/sandbox-clients';

const ref = { cluster: 'staging', service: 'checkout' };
const lb = sandboxLoadBalancer('checkout');
const loadBalancers = [
  {
    targetGroupArn: lb.targetGroupArn,
    containerName: 'app',
    containerPort: lb.containerPort,
    advancedConfiguration: { alternateTargetGroupArn: lb.alternateTargetGroupArn, productionListenerRule: lb.productionListenerRule, roleArn: lb.roleArn },
  },
];

let sandbox: Sandbox;
let ecs: ECSClient;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [STAGING], deploymentDelayMs: 20, recordExchanges: true });
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 20 } } });
  ecs = ecsClient(sandbox);
});

afterEach(async () => {
  ecs.destroy();
  await sandbox.close();
  expectEcsCallsToFollowModel(sandbox.calls().ecs);
});

async function register(tag: string): Promise<string> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image: `checkout:${tag}` }] }));
  return out.taskDefinition!.taskDefinitionArn!;
}

it('takes LINEAR after CANARY, and CANARY after LINEAR, leaving the other strategy\'s configuration behind', async () => {
  await ecs.send(
    new UpdateServiceCommand({
      ...ref,
      taskDefinition: await register('v2'),
      loadBalancers,
      deploymentConfiguration: { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 }, bakeTimeInMinutes: 0 },
    }),
  );
  await ecs.send(
    new UpdateServiceCommand({
      ...ref,
      taskDefinition: await register('v3'),
      deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 0 }, bakeTimeInMinutes: 0 },
    }),
  );
  let service = (await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }))).services![0]!;
  expect(service.deploymentConfiguration).toMatchObject({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25 } });
  expect(service.deploymentConfiguration?.canaryConfiguration).toBeUndefined();

  await ecs.send(
    new UpdateServiceCommand({
      ...ref,
      taskDefinition: await register('v4'),
      deploymentConfiguration: { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 0 }, bakeTimeInMinutes: 0 },
    }),
  );
  service = (await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }))).services![0]!;
  expect(service.deploymentConfiguration).toMatchObject({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5 } });
  expect(service.deploymentConfiguration?.linearConfiguration).toBeUndefined();
});

it('still refuses a strategy configuration beside another strategy in the same request', async () => {
  await expect(
    ecs.send(
      new UpdateServiceCommand({
        ...ref,
        taskDefinition: await register('v2'),
        loadBalancers,
        deploymentConfiguration: { strategy: 'LINEAR', canaryConfiguration: { canaryPercent: 10 }, bakeTimeInMinutes: 0 },
      }),
    ),
  ).rejects.toThrow('deploymentConfiguration.canaryConfiguration can only be specified when the deployment strategy is CANARY.');
});
