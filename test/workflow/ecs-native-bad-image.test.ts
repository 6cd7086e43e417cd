/**
 * A release of a version whose tasks crash in production, under ecs-canary, through the whole
 * workflow with the real activities against the sandbox. The scenario's `ecs.clusterImages`
 * scripts the image to crash in the production cluster only, so staging's rolling deploy passes;
 * in production ECS's own CANARY deployment fails during SCALE_UP, its circuit breaker (which
 * Runway always turns on with rollback) rolls it back before any production traffic moved, and
 * the release ends rolled back naming ECS's circuit breaker.
 */
import {
  callsOf,
  continueCalls,
  describeDeployment,
  nativePlan,
  nativeReleaseInput,
  productionTaskDefinition,
  productionWeights,
  runApprovedRelease,
  STABLE_TD,
  updateServiceCalls,
  useNativeSandbox,
} from '../support/ecs-native-rig';
import { useTestClient } from '../support/temporal';

const temporal = useTestClient();

const native = useNativeSandbox();

it('ecs-canary, an image that crashes in production: ECS rolls back on its circuit breaker before any traffic moved, the release ends rolled back naming it', async () => {
  const input = nativeReleaseInput(nativePlan(native.config, native.sandbox, 'ecs-canary'));
  const outcome = await runApprovedRelease(temporal.client, native.sandbox, input, {
    scenario: { images: { [input.image]: 'healthy' }, ecs: { clusterImages: { production: { [input.image]: 'crash' } } } },
  });

  expect(outcome.result).toBe('rolled-back');
  expect(outcome.reason).toMatch(/circuit breaker/);
  expect(outcome.reason).toMatch(/failed to start/);

  // The production deployment ECS ran and rolled back: no hook was ever reached, so none was answered.
  const updates = updateServiceCalls(native.sandbox);
  expect(updates).toHaveLength(1);
  expect((updates[0]!.request as { deploymentConfiguration: Record<string, unknown> }).deploymentConfiguration).toMatchObject({
    strategy: 'CANARY',
    deploymentCircuitBreaker: { enable: true, rollback: true },
  });
  expect(continueCalls(native.sandbox)).toEqual([]);
  const listed = callsOf(native.sandbox, 'ecs', 'ListServiceDeployments').flatMap(
    (c) => (c.exchange?.responseBody as { serviceDeployments?: { serviceDeploymentArn: string }[] } | undefined)?.serviceDeployments ?? [],
  );
  const arn = listed.find((sd) => sd.serviceDeploymentArn.includes(':service-deployment/production/'))?.serviceDeploymentArn;
  expect(arn).toBeDefined();
  expect(await describeDeployment(native.sandbox, arn!)).toMatchObject({
    status: 'ROLLBACK_SUCCESSFUL',
    lifecycleStage: 'SCALE_UP',
    deploymentCircuitBreaker: { status: 'TRIGGERED' },
    rollback: { reason: expect.stringMatching(/^ECS deployment circuit breaker: \d+ tasks of the target service revision failed to start/) },
  });
  expect(await productionTaskDefinition(native.sandbox)).toMatch(STABLE_TD);
  expect(await productionWeights(native.sandbox)).toEqual([{ taskDefinition: expect.stringMatching(STABLE_TD), production: 100, test: 0 }]);
});
