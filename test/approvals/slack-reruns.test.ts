/**
 * Re-runs of one release id (same workflow id, a new run): a button names the run its message
 * was posted for, and a click on an earlier run's message must not decide the current run.
 * Buttons posted before run ids existed (release id alone) still work.
 */
import { statusQuery } from '../../src/domain/release-api';
import { releaseMessageBlocks } from '../../src/slack/release-message';
import { slackClient } from '../support/sandbox-clients';
import { ALICE, type ApprovalsRig, BOB, type ReleaseHandle, repliesTo, startApprovalsRig } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

describe('re-runs of a release id', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig();
  });
  afterAll(async () => rig.stop());

  /** Posts a message with Runway's buttons for `handle`'s release, for `runId` (or in the old format without). */
  async function postButtons(handle: ReleaseHandle, runId: string | undefined): Promise<string> {
    const version = handle.workflowId.split('-').pop()!;
    const blocks = releaseMessageBlocks({
      releaseId: handle.workflowId,
      runId,
      service: 'checkout',
      version,
      repo: 'acme/checkout',
      requestedBy: 'carol',
      reason: 'test',
      headline: 'Waiting for approval',
      lines: [],
      withButtons: true,
    });
    return (await slackClient(rig.sandbox).chat.postMessage({ channel: '#deploys', text: 'approve?', blocks })).ts!;
  }

  async function click(user: string, action: 'approve' | 'reject', releaseId: string, ts: string): Promise<string | undefined> {
    const result = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user, action, releaseId, ts });
    expect(result.status).toBe(200);
    await rig.server.settled();
    return repliesTo(rig.sandbox, result.responseUrl)[0]?.text;
  }

  it("answers a click on an earlier run's message politely and leaves the current run waiting; its own message decides it", async () => {
    const first = await rig.startAwaitingRelease();
    const version = first.workflowId.split('-').pop()!;
    const firstRun = first.firstExecutionRunId;
    const firstMessage = await postButtons(first, firstRun);
    await first.terminate('superseded by a re-run');

    const second = await rig.startAwaitingRelease({}, { version, waitForMessage: false });
    expect(second.workflowId).toBe(first.workflowId);
    expect(second.firstExecutionRunId).not.toBe(firstRun);
    const before = await second.query(statusQuery);

    expect(await click(ALICE, 'approve', first.workflowId, firstMessage)).toBe(
      `Your approval of ${first.workflowId} was not recorded: this message belongs to an earlier run of ${first.workflowId}; use the latest message. Nothing has changed.`,
    );
    const after = await second.query(statusQuery);
    expect(after.stage).toBe('awaiting-approval');
    expect(after.approval).toEqual(before.approval);
    expect(after.history).toEqual(before.history);

    const secondMessage = await postButtons(second, second.firstExecutionRunId);
    expect(await click(ALICE, 'approve', second.workflowId, secondMessage)).toContain(`You approved ${second.workflowId}`);
    const outcome = await releaseOutcome(second);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: ALICE });
  });

  it('still takes a click on a message from before run ids (release id alone)', async () => {
    const handle = await rig.startAwaitingRelease();
    const legacy = await postButtons(handle, undefined);
    expect(await click(BOB, 'reject', handle.workflowId, legacy)).toContain(`You rejected ${handle.workflowId}`);
    expect((await releaseOutcome(handle)).status.approval).toMatchObject({ decision: 'rejected', by: BOB });
  });
});
