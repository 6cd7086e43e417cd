/**
 * `runway approve` sent while a release is still on its way to approval waits until the
 * release's history records that it waits for approval, then decides — rather than being refused
 * in that instant, or racing the workflow task that enters the stage (README, "Decisions sent the
 * instant a release asks for them").
 */
import { decideRelease } from '../../src/release-client/releases';
import { statusQuery } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

it('an approval sent during the smoke test waits for the approval stage to be recorded, then approves', async () => {
  const fake = createFakeActivities({ smokeDelayMs: 1500 });
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(handle, 'smoke');
    const ack = await decideRelease(temporal.client, handle.workflowId, 'approve', 'alice', 'go');
    expect(ack).toMatchObject({ decision: 'approved', by: 'alice' });
    const status = await handle.query(statusQuery);
    expect(status.approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'go' });
    await handle.terminate('test done');
  });
});
