/**
 * How a release hands its Slack items to its run's messenger workflow (src/slack/release-slack-api.ts):
 * an update-with-start, so the first hand-over creates the messenger. Idempotent: a retry hands the
 * same numbered items over again and the messenger ignores what it already took. A hand-over with
 * `untilSent` waits, heartbeating, until everything handed over has been sent: how a release waits
 * for its last word.
 *
 * WIP (issue 20's note): not wired into the worker nor the release yet.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { RELEASE_SLACK_WORKFLOW_TYPE, releaseSlackHandOverUpdate, type ReleaseSlackHandOver, type ReleaseSlackReport, releaseSlackWorkflowId } from '../src/slack/release-slack-api';
import { nonRetryable } from './errors';

export interface SlackHandOverInput extends ReleaseSlackHandOver {
  taskQueue: string;
  releaseId: string;
  runId: string;
  channel: string;
}

const HEARTBEAT_EVERY_MS = 1000;

export function createReleaseSlackHandOver({ temporal }: { temporal?: Client }) {
  return {
    async handSlackItemsOver({ taskQueue, releaseId, runId, channel, items, untilSent }: SlackHandOverInput): Promise<ReleaseSlackReport> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client for the Slack messenger', 'NotConfigured');
      const start = new WithStartWorkflowOperation(RELEASE_SLACK_WORKFLOW_TYPE, {
        workflowId: releaseSlackWorkflowId(releaseId, runId),
        taskQueue,
        args: [{ channel }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Slack message of ${releaseId}`,
      });
      const beating = untilSent ? setInterval(() => heartbeat({ waitingFor: 'the final Slack update' }), HEARTBEAT_EVERY_MS) : undefined;
      try {
        return await temporal.withAbortSignal(Context.current().cancellationSignal, () =>
          temporal.workflow.executeUpdateWithStart(releaseSlackHandOverUpdate, { args: [{ items, ...(untilSent ? { untilSent } : {}) }], startWorkflowOperation: start }),
        );
      } finally {
        if (beating) clearInterval(beating);
      }
    },
  };
}
