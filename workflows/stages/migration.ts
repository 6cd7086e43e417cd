/**
 * Stage 5, migration (optional): a one-off task with the new image, before any production
 * traffic. It prepares the production task definition, which the canary then reuses. Never
 * undone: a schema change cannot be rolled back safely by a machine.
 */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';

export async function runMigration(release: ReleaseContext): Promise<void> {
  const { plan, acts } = release;
  const migration = plan.migration;
  if (!migration) return;
  release.enter(ReleaseStage.migrating, `running the database migration: ${migration.command.join(' ')}`);
  const taskDefinition = await release.productionTaskDefinition();
  const result = await acts.deployWait.runMigration({
    cluster: plan.production.cluster,
    service: plan.production.service,
    taskDefinition,
    container: migration.container,
    command: migration.command,
    releaseId: release.releaseId,
  });
  release.record(`migration finished with exit code ${result.exitCode} (${result.taskArn}); it is not undone on rollback`);
}
