/**
 * A release whose workflow task keeps failing cannot answer its status query; `runway status`
 * then says the release is stuck, its last recorded stage and what to do, instead of a query error.
 */
import { releaseStatus, ReleaseStuckError } from '../../src/release-client/releases';
import { stageSearchAttribute } from '../../src/domain/release-api';
import { errorToExit } from '../../src/cli/run-action';
import { useTestClient, uniqueId } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

it('reports a release whose workflow task keeps failing as stuck, with its last stage and the way out', async () => {
  const fake = createFakeActivities();
  const id = uniqueId('release-stuck');
  const error = await withWorker(fake.activities, async (taskQueue) => {
    // An input without a plan makes the workflow code throw: every workflow task fails.
    const handle = await temporal.client.workflow.start('release', { workflowId: id, taskQueue, args: [{}], typedSearchAttributes: [{ key: stageSearchAttribute, value: 'canary' }] });
    for (let i = 0; i < 100; i++) {
      const { raw } = await handle.describe();
      if ((raw.pendingWorkflowTask?.attempt ?? 0) > 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const failure = await releaseStatus(temporal.client, id).then(() => undefined, (err: unknown) => err);
    await handle.terminate('test done');
    return failure;
  });
  expect(error).toBeInstanceOf(ReleaseStuckError);
  expect((error as ReleaseStuckError).lastStage).toBe('canary');
  expect((error as Error).message).toMatch(new RegExp(`^${id} cannot move: its workflow task has failed \\d+ times in a row \\(last stage recorded: canary\\)`));
  expect(errorToExit(error)).toEqual({ code: 1, message: (error as Error).message });
});
