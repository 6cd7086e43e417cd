/**
 * Operator controls during ECS's own LINEAR deployment (25 %, 50 %, 75 %, 100 %, each step held
 * by a PAUSE hook), on the dev server with the real activities against the sandbox: pause holds
 * the deployment at its hook (no ContinueServiceDeployment while paused) and resume goes on;
 * promote answers every remaining hook once and releases; abort rolls back through ECS
 * (StopServiceDeployment ROLLBACK, ROLLBACK_SUCCESSFUL, the stable revision with all traffic).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { ReleaseOutcome } from '../../src/domain/release';
import { abortUpdate, pauseUpdate, promoteUpdate, resumeUpdate, statusQuery } from '../../src/domain/release-api';
import {
  answersPerHook,
  callsOf,
  continueCalls,
  deploymentArnOf,
  describeDeployment,
  hooksSeenAwaiting,
  nativePlan,
  nativeReleaseInput,
  productionTaskDefinition,
  productionWeights,
  runApprovedRelease,
  STABLE_TD,
  useNativeSandbox,
} from '../support/ecs-native-rig';
import { useTestClient } from '../support/temporal';
import { untilStatus } from '../support/workflow-runner';

const temporal = useTestClient();

const native = useNativeSandbox();

const LINEAR_HOOKS = ['PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'];

/** An ecs-linear release approved by alice, run until `control` returns, then to its end. */
async function linearRelease(bakeMs: number, control: (handle: WorkflowHandle) => Promise<void>): Promise<ReleaseOutcome> {
  const input = nativeReleaseInput(nativePlan(native.config, native.sandbox, 'ecs-linear', { bakeMs }));
  return runApprovedRelease(temporal.client, native.sandbox, input, {
    during: async (handle) => {
      // At 25 %: the first hook answered, the deployment held at the hook before the 50 % shift.
      await untilStatus(handle, (s) => s.stage === 'canary' && s.canary.step === 1, 'canary step 1');
      await control(handle);
    },
  });
}

/** The hook the deployment is held at now (its latest), awaiting action. */
async function heldHook(): Promise<{ hookId: string; status?: string }> {
  const arn = deploymentArnOf(native.sandbox);
  const sd = await describeDeployment(native.sandbox, arn);
  const awaiting = sd.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');
  return { hookId: awaiting?.hookId ?? '(none)', status: sd.status };
}

describe('operator controls during an ECS linear deployment', () => {
  it('pause holds the deployment at its hook past the bake (nothing answered); resume goes on to production', async () => {
    let answeredWhilePaused = -1;
    const outcome = await linearRelease(1500, async (handle) => {
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'checking dashboards' }] });
      const before = continueCalls(native.sandbox).length;
      const hook = await heldHook();
      // Well past the 1.5 s bake, the release is still at 25 % and ECS still waits at the same hook.
      await new Promise((r) => setTimeout(r, 3500));
      expect(await handle.query(statusQuery)).toMatchObject({ stage: 'canary', paused: true, canary: { step: 1, weight: 25 } });
      answeredWhilePaused = continueCalls(native.sandbox).length - before;
      expect(await heldHook()).toEqual({ ...hook, status: 'IN_PROGRESS' });
      expect(hook.hookId).not.toBe('(none)');
      expect(await productionWeights(native.sandbox)).toEqual(expect.arrayContaining([expect.objectContaining({ production: 25 })]));
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    });
    expect(answeredWhilePaused).toBe(0);
    expect(outcome.result).toBe('released');
    expect(outcome.status.controls).toEqual([
      expect.objectContaining({ action: 'pause', by: 'bob', reason: 'checking dashboards' }),
      expect.objectContaining({ action: 'resume', by: 'bob' }),
    ]);
    expect(hooksSeenAwaiting(native.sandbox).map((h) => h.lifecycleStage)).toEqual(LINEAR_HOOKS);
    expect(continueCalls(native.sandbox).map((c) => c.action)).toEqual(LINEAR_HOOKS.map(() => 'CONTINUE'));
    expect(Object.values(answersPerHook(native.sandbox))).toEqual(LINEAR_HOOKS.map(() => 1));
    expect(await describeDeployment(native.sandbox, deploymentArnOf(native.sandbox))).toMatchObject({ status: 'SUCCESSFUL' });
  });

  it('promote answers the remaining hooks, once each, and releases', async () => {
    const outcome = await linearRelease(60_000, async (handle) => {
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice', reason: 'hotfix' }] });
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.history.map((e) => e.message)).toContain('promote by alice: hotfix');
    const seen = hooksSeenAwaiting(native.sandbox);
    expect(seen.map((h) => h.lifecycleStage)).toEqual(LINEAR_HOOKS);
    expect(continueCalls(native.sandbox).map((c) => c.hookId)).toEqual(seen.map((h) => h.hookId));
    expect(continueCalls(native.sandbox).map((c) => c.action)).toEqual(LINEAR_HOOKS.map(() => 'CONTINUE'));
    expect(Object.values(answersPerHook(native.sandbox))).toEqual(LINEAR_HOOKS.map(() => 1));
    const arn = deploymentArnOf(native.sandbox);
    expect(await describeDeployment(native.sandbox, arn)).toMatchObject({ status: 'SUCCESSFUL' });
    expect(await productionTaskDefinition(native.sandbox)).not.toMatch(STABLE_TD);
  });

  it('abort rolls back at once through ECS: StopServiceDeployment ROLLBACK, ROLLBACK_SUCCESSFUL, all traffic on the stable revision', async () => {
    const outcome = await linearRelease(60_000, async (handle) => {
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'bob', reason: 'error budget burning' }] });
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by bob: error budget burning' });
    const arn = deploymentArnOf(native.sandbox);
    // The first hook (before 25 %) was answered; the one the deployment was held at was not: ECS was told to roll back instead.
    expect(continueCalls(native.sandbox).map((c) => c.action)).toEqual(['CONTINUE']);
    expect(callsOf(native.sandbox, 'ecs', 'StopServiceDeployment').map((c) => c.request)).toEqual([{ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }]);
    expect(await describeDeployment(native.sandbox, arn)).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
    expect(await productionWeights(native.sandbox)).toEqual([{ taskDefinition: expect.stringMatching(STABLE_TD), production: 100, test: 0 }]);
    expect(await productionTaskDefinition(native.sandbox)).toMatch(STABLE_TD);
  });
});
