/**
 * Following a release (`runway start --wait`, `runway watch`, the demo) ends once its run has
 * closed, not at the moment its status first says released: a released release keeps its run open
 * until its Slack messenger has sent the final update, and a CI step that audits the release right
 * after the follow returns must find it completed. Real release workflow on the dev server, fake
 * activities with a slow Slack so the gap between "released" and the close is seconds wide.
 */
import { approveUpdate } from '../../src/domain/release-api';
import type { ReleaseStatus } from '../../src/domain/release';
import { followRelease } from '../../src/release-client/follow';
import { createFakeActivities } from '../support/fake-activities';
import { useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

it('returns the released status only after the run has closed, though the status said released seconds before', async () => {
  // Each Slack update takes 3 s: the final one holds the run open that long after `released`.
  const fake = createFakeActivities({ slackUpdateDelayMs: 3_000 });
  await withWorker(fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    const seen: { stage: string; runStatus: Promise<string> }[] = [];
    let approving: Promise<unknown> | undefined;
    const status = await followRelease(temporal.client, handle.workflowId, {
      pollMs: 200,
      onStatus: (s: ReleaseStatus) => {
        // What the server said about the run when the status first said released.
        if (s.stage === 'released' && seen.length === 0) seen.push({ stage: s.stage, runStatus: handle.describe().then((d) => d.status.name) });
        if (s.stage === 'awaiting-approval') approving ??= handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      },
    });

    expect(status.stage).toBe('released');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    // The gap was there to wait through: the run was still open when released was first seen.
    expect(await seen[0]?.runStatus).toBe('RUNNING');
  });
});
