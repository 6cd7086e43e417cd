/**
 * An approval whose answer is lost on its way back (the server cancels the Update call after the
 * release accepted it, as one of 2,000 approvals at four workers did on 2026-12-05) is sent again
 * with the same Update id: the approver gets the release's answer, and the release sees one
 * approval (src/release-client/update-once.ts). So is one timed out by the server on a call that
 * set no deadline (one of 2,000 on four workers, 2026-12-06).
 */
import { Client, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { controlRelease, decideRelease } from '../../src/release-client/releases';
import { lostAnswerNotice } from '../../src/release-client/update-once';
import { ReleaseRefusedError } from '../../src/release-client/errors';
import { statusQuery } from '../../src/domain/release-api';
import { createFakeActivities } from '../support/fake-activities';
import { useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

const cancelledOnTheWay = () => new WorkflowUpdateRPCTimeoutOrCancelledError('stream terminated by RST_STREAM with error code: CANCEL');
/** The server's own timeout on a call that set none (gRPC DEADLINE_EXCEEDED in Go's words), as one of 2,000 approvals on four workers got on 2026-12-06. */
const serverDeadline = () => {
  const details = 'context deadline exceeded';
  return new WorkflowUpdateRPCTimeoutOrCancelledError(details, { cause: Object.assign(new Error(`4 DEADLINE_EXCEEDED: ${details}`), { code: 4, details, metadata: {} }) });
};

/** A client whose first Update call reaches the server, and whose answer is then lost with `lostAs`. */
function clientLosingFirstAnswer(lostAs: () => Error = cancelledOnTheWay): { client: Client; updateIds: string[] } {
  const updateIds: string[] = [];
  const client = new Client({
    connection: temporal.client.connection,
    interceptors: {
      workflow: [
        {
          async startUpdate(input, next) {
            updateIds.push(input.options.updateId ?? '(none)');
            const output = await next(input);
            if (updateIds.length === 1) throw lostAs();
            return output;
          },
        },
      ],
    },
  });
  return { client, updateIds };
}

it.each([
  ['cancelled on the way', cancelledOnTheWay],
  ["timed out by the server, the call having set no deadline", serverDeadline],
])('an approval whose answer was lost (%s) is sent again with the same id: the approver is told it was approved, and the release saw one approval', async (_how, lostAs) => {
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(handle, 'awaiting-approval');
    const losing = clientLosingFirstAnswer(lostAs);

    const told: string[] = [];

    const ack = await decideRelease(losing.client, handle.workflowId, 'approve', 'alice', 'ship it', undefined, { onLostAnswer: (lost) => told.push(lostAnswerNotice('approve', lost)) });

    expect(ack).toMatchObject({ decision: 'approved', by: 'alice' });
    // What `runway approve` prints while it asks again (src/cli/still-asking.ts).
    expect(told).toEqual([`approve: no answer from the server (${lostAs().message}); asking again with the same id, call 2 of 5 (it takes effect once)`]);
    expect(losing.updateIds).toHaveLength(2);
    expect(losing.updateIds[1]).toBe(losing.updateIds[0]);
    const accepted = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.updateId)).toEqual([losing.updateIds[0]]);
    expect((await handle.query(statusQuery)).approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'ship it' });
    await handle.terminate('test done');
  });
});

it('an abort whose answer was lost is sent again with the same id, saying so once, and the release is aborted once', async () => {
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(handle, 'awaiting-approval');
    const losing = clientLosingFirstAnswer();
    const told: string[] = [];

    const ack = await controlRelease(losing.client, handle.workflowId, 'abort', 'alice', 'wrong build', {}, { onLostAnswer: ({ call, calls }) => told.push(`${call} of ${calls}`) });

    expect(ack).toMatchObject({ action: 'abort', by: 'alice' });
    expect(told).toEqual(['2 of 5']);
    expect(losing.updateIds).toHaveLength(2);
    expect(losing.updateIds[1]).toBe(losing.updateIds[0]);
    const accepted = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1);
    await handle.terminate('test done').catch(() => undefined);
  });
});

it('a refusal is not sent again: a second approval of a decided release is refused at its first call', async () => {
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(handle, 'awaiting-approval');
    await decideRelease(temporal.client, handle.workflowId, 'reject', 'bob', 'not today');
    let calls = 0;
    const counting = new Client({ connection: temporal.client.connection, interceptors: { workflow: [{ startUpdate: (input, next) => (calls++, next(input)) }] } });

    await expect(decideRelease(counting, handle.workflowId, 'approve', 'alice')).rejects.toBeInstanceOf(ReleaseRefusedError);
    expect(calls).toBe(1);
    await handle.terminate('test done').catch(() => undefined);
  });
});
