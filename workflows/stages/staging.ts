/** Stage 2, staging: copy the current task definition with the new image and roll it out. */
import { ReleaseStage } from '../../src/domain/release';
import { rollOut } from '../ecs-rollout';
import type { ReleaseContext } from '../release-context';

export async function deployToStaging(release: ReleaseContext): Promise<void> {
  const { plan, acts, state } = release;
  release.enter(ReleaseStage.staging, `deploying ${state.image} to staging`);
  await release.deployments.create('staging', `${release.shortVersion} deploying`);
  const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image: state.image });
  release.summaries.staging = await rollOut(release, plan.staging, stagingTd.taskDefinitionArn, 'staging');
  release.markers.deployed('staging');
}
