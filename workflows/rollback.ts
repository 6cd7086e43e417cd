/**
 * Rolling back a finished release: production goes back to a version an earlier release ran
 * there, by its own durable workflow. Nothing that holds releases back holds it back: it is
 * admitted at the front of the service's lane, which stops the release holding it (that release
 * rolls itself back through its own compensation) and keeps the others waiting behind it; before
 * lanes, the releases in flight were found and stopped. An approval is asked only when the
 * service's policy says so. Who asks must be proven first when the workers verify decisions (a
 * refusal changes nothing). The target's task definition must still exist. Production is rolled
 * with the same ECS verdicts as a promotion, recorded on GitHub and in Slack; if that fails,
 * what ran is put back.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import { ReleaseStage, type ReleaseInput, type ReleaseOutcome } from '../src/domain/release';
import { rollbackDecisionNote, type RollbackInput } from '../src/domain/rollback';
import { isNativeStrategy } from '../src/domain/ecs-native-plan';
import { rollOut } from './ecs-rollout';
import { redeployNative } from './traffic/ecs-native';
import { ReleaseContext } from './release-context';
import { ReleaseLane } from './release-lane';
import { ReleaseRejected } from './release-stopped';
import { awaitApproval } from './stages/approval';
import { rollBack } from './stages/rollback';
import { proveStart } from './handlers/decision-proof';

/** Rollbacks started from before proven rollback starts replay without the check. */
export const PROVEN_ROLLBACK_PATCH = 'proven-rollback';

export async function rollback(input: RollbackInput): Promise<ReleaseOutcome> {
  const release = new ReleaseContext(asReleaseInput(input));
  // Through the service's lane: at its front, stopping the release that holds it, never behind one.
  if (patched('rollback-lanes')) release.lane = new ReleaseLane(release, 'rollback', workflowInfo().taskQueue);
  let outcome: ReleaseOutcome;
  try {
    await release.forward.run(async () => {
      if (patched(PROVEN_ROLLBACK_PATCH)) await proveRequester(release, input);
      await checkTarget(release, input);
      if (release.lane) await release.lane.awaitTurn();
      else await stopReleasesInFlight(release, input);
      if (input.plan.rollback?.approval === 'required') await awaitApproval(release);
      await restoreProduction(release, input);
    });
    outcome = release.outcome();
  } catch (err) {
    outcome = await rollBack(release, err);
  } finally {
    // GitHub's records go to the writer in the background; the run ends only once it has them all.
    await release.deployments.settle();
  }
  // Its last word to the lane, which then waits for the run to close.
  await release.lane?.sayLeaving();
  return outcome;
}

/** The rollback as the release context sees it: the target's version and image, with the rollback's reason. */
function asReleaseInput(input: RollbackInput): ReleaseInput {
  return {
    service: input.service,
    version: input.to.version,
    image: input.to.image,
    requestedBy: input.requestedBy,
    reason: `roll back ${input.from.version.slice(0, 12)} (${input.from.workflowId}) to ${input.to.version.slice(0, 12)}: ${input.reason}`,
    plan: input.plan,
  };
}

/**
 * Anyone who can start a workflow in the namespace can start a rollback naming anyone: before
 * anything is touched, the worker verifies the proof it was started with (bound to this rollback,
 * the rolled-back run, its target and reason), as it does for decisions. A worker with no keys
 * trusts the name, as before.
 */
async function proveRequester(release: ReleaseContext, input: RollbackInput): Promise<void> {
  const proven = await proveStart(input.service, 'rollback', { by: input.requestedBy, ...input.decision }, rollbackDecisionNote(input), input.from.runId ?? '');
  if ('refused' in proven) {
    release.record(`rollback requested by ${input.requestedBy} refused: ${proven.refused}`);
    throw new ReleaseRejected(`rollback refused: ${proven.refused}`);
  }
  if (proven.via !== 'trusted') release.record(`rollback requested by ${proven.actor.by}, proven by ${proven.via === 'slack' ? "the approvals server's signature" : 'SSH signature'}`);
}

/** The target's task definition must still be deployable; a rollback to a deregistered one is refused, naming it. */
async function checkTarget(release: ReleaseContext, input: RollbackInput): Promise<void> {
  release.enter(ReleaseStage.building, `checking ${input.to.taskDefinition} (${input.to.workflowId}) can run again`);
  // Runway's records come from Temporal's visibility store, which lags: make sure production runs
  // what they say before changing it, or a rollback could skip the newest release.
  const running = await release.acts.ecs.describeService(input.plan.production);
  if (input.from.taskDefinition && running.taskDefinition !== input.from.taskDefinition) {
    throw new ReleaseRejected(
      `rollback refused: production runs ${running.taskDefinition}, not ${input.from.taskDefinition} that ${input.from.workflowId} left there; look again with runway status, or name the target with --to`,
    );
  }
  const { status } = await release.acts.ecs.checkTaskDefinition({ taskDefinition: input.to.taskDefinition, container: input.plan.container });
  if (status !== 'ACTIVE') {
    throw new ReleaseRejected(`rollback refused: the task definition ${input.to.workflowId} ran, ${input.to.taskDefinition}, is ${status === 'MISSING' ? 'gone' : status} and cannot run again`);
  }
  // With an approval to ask for, the approval request is the message; otherwise Slack is told now.
  if (input.plan.rollback?.approval !== 'required') release.slack.startPosting(`Rolling back ${input.service} to ${input.to.version.slice(0, 12)}`, false);
}

/** Releases of the service in flight are stopped (each rolls itself back) and waited for. */
async function stopReleasesInFlight(release: ReleaseContext, input: RollbackInput): Promise<void> {
  const { stopped } = await release.acts.releaseControl.stopReleasesInFlight({
    service: input.service,
    taskQueue: workflowInfo().taskQueue,
    reason: `${release.releaseId} rolls production back to ${input.to.version.slice(0, 12)}`,
  });
  for (const s of stopped) release.record(`stopped ${s.releaseId}, in flight (it ended ${s.ended.toLowerCase()}) so the rollback does not race it`);
}

/** Production back on the target's task definition, with the ECS verdicts of a promotion; GitHub and Slack say so. */
async function restoreProduction(release: ReleaseContext, input: RollbackInput): Promise<void> {
  release.enter(ReleaseStage.promoting, `rolling production back to ${input.to.taskDefinition}`);
  await release.deployments.create('production', `rollback to ${release.shortVersion}`);
  if (isNativeStrategy(input.plan)) await redeployProduction(release, input.to.taskDefinition);
  else await rollOut(release, input.plan.production, input.to.taskDefinition, 'production');
  await release.deployments.mark('production', 'success', `${release.shortVersion} running again: ${input.reason}`.slice(0, 140));
  await release.slack.settleForOutcome();
  release.finish('released', `production runs ${release.shortVersion} again (was ${input.from.version.slice(0, 12)})`);
  await release.slack.finalUpdate(`Rolled back to ${release.shortVersion}: ${input.reason}`);
}

/**
 * Under ECS's own strategies, production goes back by an ECS deployment of the service's
 * strategy without hooks (nothing to analyse: the target already ran there); if that fails, the
 * revision that ran is deployed again the same way.
 */
async function redeployProduction(release: ReleaseContext, taskDefinition: string): Promise<void> {
  const before = await release.acts.ecs.describeService(release.plan.production);
  release.undo.add(`restore production to ${before.taskDefinition}`, async () => void (await redeployNative(release, before.taskDefinition)), { environment: 'production' });
  await redeployNative(release, taskDefinition);
}
