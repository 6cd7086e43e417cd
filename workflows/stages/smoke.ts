/** Stage 3, smoke: HTTP checks against staging; staging's GitHub deployment succeeds once they pass. */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';

export async function smokeTest(release: ReleaseContext): Promise<void> {
  const { plan, acts } = release;
  release.enter(ReleaseStage.smoke, `smoke testing ${plan.smoke.url}`);
  const smoke = await acts.smoke.runSmokeTest(plan.smoke);
  release.summaries.smoke = `${smoke.checks.length} check(s) answered ${smoke.checks.map((c) => c.status).join(', ')}`;
  release.record(`smoke test passed: ${release.summaries.smoke}`);
  await release.deployments.mark('staging', 'success', `${release.shortVersion} passed smoke tests`);
}
