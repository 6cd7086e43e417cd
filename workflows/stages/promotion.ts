/**
 * Stage 7, promotion: all of production on the new version, the canary retired, the GitHub
 * production deployment marked successful. Then, after the post-release watch if there is one,
 * the release is announced: the outcome as Slack's last word.
 */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import type { TrafficStrategy } from '../traffic/traffic-strategy';

export async function promote(release: ReleaseContext, traffic: TrafficStrategy): Promise<void> {
  release.enter(ReleaseStage.promoting, `promoting ${release.state.image} to all of production`);
  await traffic.promote();
  release.setCanary(release.plan.canary.steps.length, 100, 100);
  await release.deployments.mark('production', 'success', `${release.shortVersion} released`);
  release.markers.deployed('production');
}

/** The release is done: its final stage, and Slack's last word once everything in flight has landed. */
export async function announceReleased(release: ReleaseContext): Promise<void> {
  await release.slack.settleForOutcome();
  release.finish('released');
  const watched = release.plan.verify ? ` (watched for ${Math.round(release.plan.verify.durationMs / 1000)} s)` : '';
  await release.slack.finalUpdate(`Released to production${watched}`);
  if (release.markers.enabled) await release.markers.settle();
}
