/**
 * One release of one service: build → staging → smoke → approval → migration → production
 * traffic → promotion → post-release watch, with a compensating rollback when anything fails,
 * is rejected, is aborted or is cancelled. Each stage is a module in ./stages; what they share is the release context.
 *
 * Deterministic orchestration only: every side effect is an activity; time is workflow time.
 */
import { approvesAfterTestTraffic } from '../src/domain/ecs-native-plan';
import { patched, workflowInfo } from '@temporalio/workflow';
import type { ReleaseInput, ReleaseOutcome } from '../src/domain/release';
import { ReleaseContext } from './release-context';
import { endRelease } from './release-ending';
import { ReleaseLane } from './release-lane';
import { awaitApproval } from './stages/approval';
import { build } from './stages/build';
import { passFreezeGate } from './stages/freeze-gate';
import { runMigration } from './stages/migration';
import { shiftProductionTraffic, trafficStrategyFor } from './stages/production-traffic';
import { watchProduction } from './stages/post-release-watch';
import { announceReleased, promote } from './stages/promotion';
import { rollBack } from './stages/rollback';
import { smokeTest } from './stages/smoke';
import { deployToStaging } from './stages/staging';

export async function release(input: ReleaseInput): Promise<ReleaseOutcome> {
  // Registers the status query, approval Updates/signals and operator controls before any await.
  const release = new ReleaseContext(input);
  // One release of the service deploys at a time: it waits for its turn in the service's lane first.
  if (patched('release-lanes')) release.lane = new ReleaseLane(release, 'release', workflowInfo().taskQueue);
  let outcome: ReleaseOutcome;
  try {
    await release.forward.run(async () => {
      if (release.lane) await release.lane.awaitTurn();
      await build(release);
      await deployToStaging(release);
      await smokeTest(release);
      // Blue-green may be approved later, once its new revision passed the smoke test through the test listener.
      if (!approvesAfterTestTraffic(release.plan)) await awaitApproval(release);
      // Releases recorded before the gate existed replay without it.
      if (patched('freeze-gate')) await passFreezeGate(release);
      await runMigration(release);
      const traffic = trafficStrategyFor(release);
      await shiftProductionTraffic(release, traffic);
      await promote(release, traffic);
      await watchProduction(release, traffic);
      if (traffic.complete) await traffic.complete();
      await announceReleased(release);
    });
    outcome = release.outcome();
  } catch (err) {
    // Every registered undo, newest first (traffic back on stable before anything else).
    outcome = await rollBack(release, err);
  } finally {
    // GitHub's records go to the writer in the background; the run ends only once it has them all.
    await release.deployments.settle();
  }
  // Its last word to the lane, which then waits for the run to close.
  await release.lane?.sayLeaving();
  // Not released: the workflow fails, carrying the outcome (so it does not look like a success).
  return endRelease(outcome);
}
