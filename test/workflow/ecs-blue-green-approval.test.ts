/**
 * Blue-green with `approveAfterTestTraffic`: the release's one approval is asked only once the new
 * revision is up beside production and passed its smoke test through the test listener, while ECS
 * holds the deployment at the pause before the production shift. Approved, production traffic
 * moves; rejected, the new revision is taken away by ECS's rollback and no production traffic ever
 * reached it.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { approveUpdate, rejectUpdate } from '../../src/domain/release-api';
import { callsOf, continueCalls, deploymentArnOf, describeDeployment, nativePlan, nativeReleaseInput, productionTaskDefinition, sandboxActivities, useNativeSandbox } from '../support/ecs-native-rig';
import { useTestClient } from '../support/temporal';
import { startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

const native = useNativeSandbox();

function gatedPlan(): ReleasePlan {
  const plan = nativePlan(native.config, native.sandbox, 'ecs-blue-green');
  return { ...plan, production: { ...plan.production, approveAfterTestTraffic: true } };
}

/** Runs a gated blue-green release; `decide` is called once it awaits approval, with what the sandbox saw by then. */
async function gatedRelease(client: Client, decide: 'approve' | 'reject'): Promise<{ outcome: ReleaseOutcome; atApproval: { testSmokes: number; answered: number; stagingSmokes: number } }> {
  const input = nativeReleaseInput(gatedPlan());
  native.sandbox.setScenario({ images: { [input.image]: 'healthy' } });
  return withWorker(sandboxActivities(native.sandbox, client), async (taskQueue) => {
    const handle = await startReleaseWorkflow(client, taskQueue, input);
    await untilStage(handle, 'awaiting-approval');
    const atApproval = {
      testSmokes: callsOf(native.sandbox, 'health', 'GET test-listener health').length,
      answered: continueCalls(native.sandbox).length,
      stagingSmokes: callsOf(native.sandbox, 'health', 'GET health staging/').length,
    };
    if (decide === 'approve') await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    else await handle.executeUpdate(rejectUpdate, { args: [{ by: 'bob', reason: 'not tonight' }] });
    return { outcome: await releaseOutcome(handle), atApproval };
  });
}

it('asks for approval only after the new revision passed its smoke test through the test listener, then releases', async () => {
  const { outcome, atApproval } = await gatedRelease(temporal.client, 'approve');
  // By the time approval was asked: staging was smoke-tested, the new revision too through the
  // test listener, and only the test-traffic hook was answered (production traffic had not moved).
  expect(atApproval.stagingSmokes).toBeGreaterThan(0);
  expect(atApproval.testSmokes).toBeGreaterThan(0);
  expect(atApproval.answered).toBe(1);
  expect(outcome.result).toBe('released');
  expect(await productionTaskDefinition(native.sandbox)).toMatch(/checkout-production:2$/);
  expect((await describeDeployment(native.sandbox, deploymentArnOf(native.sandbox))).status).toBe('SUCCESSFUL');
});

it('takes the new revision away through ECS when the approver rejects, production traffic never having moved', async () => {
  const { outcome } = await gatedRelease(temporal.client, 'reject');
  expect(outcome.result).toBe('rejected');
  expect(outcome.reason).toContain('not tonight');
  // Only the test-traffic hook was ever answered: no production shift was let through.
  expect(continueCalls(native.sandbox).map((c) => c.action)).toEqual(['CONTINUE']);
  expect(callsOf(native.sandbox, 'ecs', 'StopServiceDeployment')).toHaveLength(1);
  expect((await describeDeployment(native.sandbox, deploymentArnOf(native.sandbox))).status).toBe('ROLLBACK_SUCCESSFUL');
  expect(await productionTaskDefinition(native.sandbox)).toMatch(/checkout-production:1$/);
});
