/**
 * Rolling one ECS service to a task definition, with its undo registered first: used by staging
 * and by the promotion of production.
 */
import type { ServiceSnapshot } from '../activities/ecs';
import type { EcsServiceRef } from '../src/domain/release';
import type { UndoEnvironment } from './compensations';
import type { ReleaseContext } from './release-context';

/**
 * Rolls `ref` to `taskDefinition`, waits until the new deployment really is the one running, and
 * returns a one-line summary. What ran before is read before anything changes, and its restore
 * registered first: an update retried after a crash finds its own change in place and could not
 * say what ran before it.
 */
export async function rollOut(release: ReleaseContext, ref: EcsServiceRef, taskDefinition: string, environment: UndoEnvironment): Promise<string> {
  const { acts, plan } = release;
  const before = await acts.ecs.describeService(ref);
  release.undo.add(`restore ${environment} (${ref.cluster}/${ref.service}) to ${before.taskDefinition}`, () => restore(release, ref, before), { environment });
  const { changed } = await acts.ecs.updateService({ ...ref, taskDefinition });
  release.record(`${environment}: ${changed ? 'updated' : 'already on'} ${taskDefinition}`);
  const { runningCount } = await acts.deployWait.waitForDeployment({ ...ref, taskDefinition, timeoutMs: plan.deployTimeoutMs });
  release.state.deployed(environment, taskDefinition);
  release.record(`${environment}: ${runningCount} task(s) running ${taskDefinition}`);
  return `${runningCount} task(s) running ${taskDefinition.split('/').pop()}`;
}

/** Puts a service back on the task definition it ran before, and waits until it really runs it. */
async function restore(release: ReleaseContext, ref: EcsServiceRef, previous: ServiceSnapshot): Promise<void> {
  const { acts, plan } = release;
  await acts.rollback.updateService({ ...ref, taskDefinition: previous.taskDefinition, desiredCount: previous.desiredCount });
  await acts.rollbackWait.waitForDeployment({ ...ref, taskDefinition: previous.taskDefinition, timeoutMs: plan.deployTimeoutMs });
}
