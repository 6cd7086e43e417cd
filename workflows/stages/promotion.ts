/**
 * Stage 7, promotion: all of production on the new version, the canary retired, the GitHub
 * production deployment marked successful, and the outcome as Slack's last word.
 */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import type { TrafficStrategy } from '../traffic/traffic-strategy';

export async function promote(release: ReleaseContext, traffic: TrafficStrategy): Promise<void> {
  release.enter(ReleaseStage.promoting, `promoting ${release.state.image} to all of production`);
  await traffic.promote();
  release.setCanary(release.plan.canary.steps.length, 100, 100);
  await release.deployments.mark('production', 'success', `${release.shortVersion} released`);
  await release.slack.settle();
  release.finish('released');
  await release.slack.finalUpdate('Released to production');
}
