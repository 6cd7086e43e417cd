/**
 * Stage 6, production traffic: the new version takes a growing share of production through the
 * release's traffic strategy, baking and analysing at each step. Operators can pause, resume,
 * promote (skip the remaining steps) or abort.
 */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import { analysedBake } from '../traffic/analysed-bake';
import { measureBaseline } from './post-release-watch';
import type { TrafficStrategy } from '../traffic/traffic-strategy';
import { TwoServiceCanary } from '../traffic/two-service-canary';
import { EcsNativeTraffic } from '../traffic/ecs-native';
import { isNativeStrategy } from '../../src/domain/ecs-native-plan';

/** The strategy that moves this release's production traffic. */
export function trafficStrategyFor(release: ReleaseContext): TrafficStrategy {
  return isNativeStrategy(release.plan) ? new EcsNativeTraffic(release) : new TwoServiceCanary(release);
}

export async function shiftProductionTraffic(release: ReleaseContext, traffic: TrafficStrategy): Promise<void> {
  // Blue-green has no canary steps: production moves at once, at promotion.
  release.enter(ReleaseStage.canary, traffic.steps.length > 0 ? `starting the production canary (${traffic.name})` : `readying the new version beside production (${traffic.name})`);
  await release.deployments.create('production', `${release.shortVersion} deploying`);
  if (traffic.readProduction) await traffic.readProduction();
  await measureBaseline(release, traffic.stableRevision);
  await traffic.begin(await release.productionTaskDefinition());
  for (const [index, weight] of traffic.steps.entries()) {
    if (release.controls.pending === 'promote') break;
    const actualWeight = await traffic.shiftTo(weight);
    release.setCanary(index + 1, weight, actualWeight);
    release.slack.update(`Canary at ${weight}%`);
    await analysedBake(release, traffic, index + 1, weight);
  }
}
