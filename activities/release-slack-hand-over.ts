/**
 * How a release hands its Slack items to its run's messenger workflow (src/slack/release-slack-api.ts):
 * an update-with-start, so the first hand-over creates the messenger. Idempotent: a retry hands the
 * same numbered items over again and the messenger ignores what it already took. A hand-over with
 * `tellWhenSent` is answered once taken, and the messenger signals the release once everything
 * handed over has been sent: how a release waits for its last word with no activity waiting. One
 * with `untilSent` waits until then itself: how releases before that waited, and how a release
 * asks again when its messenger's word does not come. Every hand-over heartbeats while it waits,
 * so only a lost worker times it out: with 2,000 releases in flight, taking an item is one of the
 * messenger's workflow tasks in a deep queue, and a hand-over that did not beat timed out after its
 * 10 s again and again (up to 36 attempts seen) before its item was taken.
 *
 * A messenger closes a while after the final (workflows/release-slack-messenger.ts). A hand-over
 * retried after that (its worker died while it waited, and the retry came late) must not start a
 * second messenger, which would have no message to update: the id may not be reused, and the
 * closed messenger's result says whether it had taken the items.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import {
  RELEASE_SLACK_WORKFLOW_TYPE,
  releaseSlackHandOverUpdate,
  type ReleaseSlackHandOver,
  type ReleaseSlackReport,
  type ReleaseSlackResult,
  releaseSlackWorkflowId,
} from '../src/slack/release-slack-api';
import { SLACK_MESSENGER_PRIORITY } from '../src/domain/shared-workflow-priority';
import { nonRetryable } from './errors';

export interface SlackHandOverInput extends ReleaseSlackHandOver {
  taskQueue: string;
  releaseId: string;
  runId: string;
  channel: string;
}

const HEARTBEAT_EVERY_MS = 1000;

/**
 * `callHeartbeatTimeoutMs`: the heartbeat timeout of the Slack calls of the messengers this worker
 * starts (RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT); unset, the messenger's default.
 */
export function createReleaseSlackHandOver({ temporal, callHeartbeatTimeoutMs }: { temporal?: Client; callHeartbeatTimeoutMs?: number }) {
  return {
    async handSlackItemsOver({ taskQueue, releaseId, runId, channel, items, untilSent, tellWhenSent }: SlackHandOverInput): Promise<ReleaseSlackReport> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client for the Slack messenger', 'NotConfigured');
      const workflowId = releaseSlackWorkflowId(releaseId, runId);
      const start = new WithStartWorkflowOperation(RELEASE_SLACK_WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [{ channel, release: { workflowId: releaseId, runId }, ...(callHeartbeatTimeoutMs === undefined ? {} : { callHeartbeatTimeoutMs }) }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Slack message of ${releaseId}`,
        priority: SLACK_MESSENGER_PRIORITY,
      });
      const waitingFor = untilSent ? 'the final Slack update' : 'the Slack messenger to take the item(s)';
      const beating = setInterval(() => heartbeat({ waitingFor }), HEARTBEAT_EVERY_MS);
      try {
        return await temporal.withAbortSignal(Context.current().cancellationSignal, () =>
          temporal.workflow.executeUpdateWithStart(releaseSlackHandOverUpdate, { args: [{ items, ...(untilSent ? { untilSent } : {}), ...(tellWhenSent ? { tellWhenSent } : {}) }], startWorkflowOperation: start }),
        );
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        return answeredByClosedMessenger(temporal, workflowId, items.map((item) => item.seq));
      } finally {
        clearInterval(beating);
      }
    },
  };
}

/** A hand-over that reached a closed messenger: sent if the messenger had taken it (a late retry), otherwise reported as not sent. */
async function answeredByClosedMessenger(temporal: Client, workflowId: string, seqs: number[]): Promise<ReleaseSlackReport> {
  let result: ReleaseSlackResult;
  try {
    result = (await temporal.workflow.getHandle(workflowId).result()) as ReleaseSlackResult;
  } catch (err) {
    return { failures: [`the Slack messenger ${workflowId} had ended without finishing (${(err as Error).message}): item(s) ${seqs.join(', ')} not sent`] };
  }
  const missing = seqs.filter((seq) => !result.taken.includes(seq));
  if (missing.length === 0) return { failures: result.failures };
  return { failures: [...result.failures, `the Slack messenger ${workflowId} had closed before item(s) ${missing.join(', ')} reached it: not sent`] };
}
