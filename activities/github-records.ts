/**
 * Deployment records through the installation's GitHub writer (workflows/github-writer.ts):
 * - `queueGitHubRecord`: a release hands one record over, together with the other records this
 *   worker's releases are handing over (update-with-start, so the writer is started by the first
 *   record); a record is durable once this returns;
 * - `writeGitHubRecord`: the writer's one write, through the GitHub activities (all idempotent:
 *   a retry after a crash finds the record already written), reporting how many content-creating
 *   requests it made so the writer can keep to GitHub's limits;
 * - `takeParkedGitHubRecords`: a batch the writer parked during a long backlog, fetched back when
 *   its turn comes;
 * - `createGitHubWriteSlots`: not an activity but what one calls before a write it must see
 *   answered (a build dispatch): a slot in the same budget, granted ahead of the records.
 */
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { GITHUB_WRITE_BUDGET, type GitHubWriteBudget } from '../src/domain/github-write-budget';
import { gitHubRecordBatchQuery, type GitHubRecordRequest, gitHubWriteSlotUpdate, type QueuedGitHubRecord } from '../src/domain/github-writer-api';
import { heartbeatWhileWaiting } from './heartbeat-while-waiting';
import { nonRetryable } from './errors';
import { CLOSING_RETRIES, CLOSING_RETRY_MS, createGitHubRecordHandOver, refusedWhileClosing, writerStart } from './github-record-hand-over';
import { createGitHubActivities, type GitHubApi, type WriteThrough } from './github';

export interface WriteGitHubRecordInput {
  request: GitHubRecordRequest;
  /** The record's deployment, for statuses (the writer remembers it from the create). */
  deploymentId?: number;
}

export interface WriteGitHubRecordResult {
  /** The deployment a create made or found. */
  deploymentId?: number;
  /** Content-creating requests sent. */
  requests: number;
}

/** Waits `ms` (nothing when not positive), cancelled with the activity. */
async function sleep(ms: number): Promise<void> {
  if (ms > 0) await Context.current().sleep(ms);
}

/** Waits until the installation's budget has room for one write the caller sends at once (see createGitHubWriteSlots). */
export type WaitForGitHubWriteSlot = (purpose: string) => Promise<void>;

/** A hand-over waiting this long starts heartbeating, this often (its heartbeat timeout is 10 s). */
const HAND_OVER_HEARTBEAT_MS = 2_000;

/**
 * For a write a release waits on (a build dispatch), from inside its activity: asks the
 * installation's GitHub writer for a slot in the shared budget (update-with-start, so the writer
 * is started if idle) and waits for it, heartbeating; cancelled with the activity. A writer run
 * that is continuing as new refuses; the next run is asked.
 */
export function createGitHubWriteSlots({ temporal, budget = GITHUB_WRITE_BUDGET }: { temporal: Client; budget?: GitHubWriteBudget }): WaitForGitHubWriteSlot {
  return async (purpose) => {
    const ctx = Context.current();
    const taskQueue = ctx.info.taskQueue;
    const beating = setInterval(() => ctx.heartbeat({ waitingForWriteSlot: purpose }), 1000);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await temporal.connection.withAbortSignal(ctx.cancellationSignal, () =>
            temporal.workflow.executeUpdateWithStart(gitHubWriteSlotUpdate, { args: [{ purpose, budget }], startWorkflowOperation: writerStart(taskQueue) }),
          );
          return;
        } catch (err) {
          if (!refusedWhileClosing(err) || attempt >= CLOSING_RETRIES) throw err;
          await ctx.sleep(CLOSING_RETRY_MS);
        }
      }
    } finally {
      clearInterval(beating);
    }
  };
}

export function createGitHubRecordActivities({ temporal, github, budget = GITHUB_WRITE_BUDGET }: { temporal?: Client; github: GitHubApi; budget?: GitHubWriteBudget }) {
  const handOver = temporal ? createGitHubRecordHandOver({ temporal }) : undefined;
  return {
    /** Hands one record to the writer, together with whatever else this worker's releases are handing over (activities/github-record-hand-over.ts). */
    async queueGitHubRecord({ taskQueue, request }: { taskQueue: string; request: GitHubRecordRequest }): Promise<void> {
      if (!handOver) throw nonRetryable('this worker has no Temporal client to hand records to the GitHub writer', 'NotConfigured');
      const ctx = Context.current();
      await heartbeatWhileWaiting(ctx, HAND_OVER_HEARTBEAT_MS, () => handOver.hand(taskQueue, request, budget, ctx.cancellationSignal));
    },

    /** A parked batch's records, for the writer whose turn they are (asked, not taken: the writer tells the batch to end once it has them). */
    async takeParkedGitHubRecords({ workflowId }: { workflowId: string }): Promise<QueuedGitHubRecord[]> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client to fetch parked GitHub records', 'NotConfigured');
      try {
        return await temporal.workflow.getHandle(workflowId).query(gitHubRecordBatchQuery);
      } catch (err) {
        // Gone (terminated by hand, or past retention after ending): there is nothing left to fetch, and waiting would hold every record behind it.
        if (err instanceof WorkflowNotFoundError) throw nonRetryable(`parked batch ${workflowId} is gone`, 'ParkedBatchGone');
        throw err;
      }
    },

    async writeGitHubRecord({ request, deploymentId }: WriteGitHubRecordInput): Promise<WriteGitHubRecordResult> {
      // The writer spaces its writes; the requests inside one write (a create and its in-progress
      // status) are spaced here, each the budget's interval after the previous one was answered.
      let requests = 0;
      let lastAnsweredAt: number | undefined;
      const writeThrough: WriteThrough = async (send) => {
        if (lastAnsweredAt !== undefined) await sleep(lastAnsweredAt + budget.minIntervalMs - Date.now());
        requests++;
        try {
          return await send();
        } finally {
          lastAnsweredAt = Date.now();
        }
      };
      const records = createGitHubActivities({ github, writeThrough });
      switch (request.kind) {
        case 'create': {
          const created = await records.createDeployment(request.input);
          return { deploymentId: created.deploymentId, requests };
        }
        case 'status':
          if (deploymentId === undefined) throw nonRetryable(`no deployment id for a status of ${request.key.releaseId}`, 'NoDeployment');
          await records.setDeploymentStatus({ ...request.input, deploymentId });
          return { requests };
        case 'restore-previous':
          await records.restorePreviousDeployment(request.input);
          return { requests };
      }
    },
  };
}

export type GitHubRecordActivities = Pick<ReturnType<typeof createGitHubRecordActivities>, 'writeGitHubRecord' | 'takeParkedGitHubRecords'>;
