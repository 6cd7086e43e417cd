/**
 * How one worker hands its releases' deployment records to the installation's GitHub writer:
 * together. Every `queueGitHubRecord` activity on this worker joins the line for its writer (one
 * per task queue); one hand-over at a time carries everything waiting (up to `maxBatch`) in one
 * update-with-start, and each activity returns once the update carrying its record was accepted
 * (the record is then in the writer's history: durable), or fails with the update's error and is
 * retried by Temporal like any activity.
 *
 * Why: a signal per record from 500 releases at once queued on the writer's lock in the server
 * (every call on one workflow takes it in turn) until calls waited past their deadline and were
 * refused, "Workflow is busy" — releases stalled in staging waiting to hand records over. One call
 * in flight per worker keeps the writer's lock free, and the batch grows with the load instead of
 * the calls. A lone record goes at once: nothing waits to fill a batch.
 */
import { type Client, WithStartWorkflowOperation, type Workflow, WorkflowUpdateFailedError } from '@temporalio/client';
import type { GitHubWriteBudget } from '../src/domain/github-write-budget';
import { GITHUB_WRITER_TASK_TIMEOUT_MS, GITHUB_WRITER_WORKFLOW_TYPE, type GitHubRecordRequest, gitHubRecordsUpdate, type GitHubWriterInput, gitHubWriterWorkflowId } from '../src/domain/github-writer-api';
import { SHARED_WORKFLOW_PRIORITY } from '../src/domain/shared-workflow-priority';

/** The writer's summary in the Web UI, whoever starts it. */
export const WRITER_SUMMARY = 'GitHub deployment records of this installation, at GitHub’s pace';

/** Records per hand-over: at about 400 bytes each, 200 is some 80 kB, far inside Temporal's 2 MB per request. */
export const HAND_OVER_BATCH = 200;
/**
 * How long one hand-over may take before its records are refused (and their activities retried):
 * the writer takes it in its next workflow task, which under a load of hundreds of releases
 * starting at once waited 8 s and more (measured: 435 hand-overs timed out at an 8 s deadline
 * with 500 releases starting); under the activity's 2-minute start-to-close.
 */
const HAND_OVER_DEADLINE_MS = 90_000;
/** A writer run continuing as new refuses; the next run is asked after this long, this many times. */
export const CLOSING_RETRY_MS = 500;
export const CLOSING_RETRIES = 60;

/** Whether an update failed because the writer run was closing down (the next run will take it). */
export function refusedWhileClosing(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError && /closing down/.test(err.cause?.message ?? '');
}

/** The writer's start, for an update-with-start: started with nothing if idle, the running one otherwise. */
export function writerStart(taskQueue: string): WithStartWorkflowOperation<Workflow> {
  return new WithStartWorkflowOperation(GITHUB_WRITER_WORKFLOW_TYPE, {
    workflowId: gitHubWriterWorkflowId(taskQueue),
    taskQueue,
    args: [{} satisfies GitHubWriterInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowTaskTimeout: GITHUB_WRITER_TASK_TIMEOUT_MS,
    staticSummary: WRITER_SUMMARY,
    priority: SHARED_WORKFLOW_PRIORITY,
  });
}

interface Waiting {
  request: GitHubRecordRequest;
  budget: GitHubWriteBudget;
  accepted: () => void;
  refused: (err: unknown) => void;
}

/** One writer's line on this worker. */
interface Line {
  waiting: Waiting[];
  handing: boolean;
}

export interface HandOverOptions {
  temporal: Client;
  /** @default HAND_OVER_BATCH */
  maxBatch?: number;
  /** How a batch is sent (tests count them); @default one update-with-start per batch. */
  send?: (taskQueue: string, records: GitHubRecordRequest[], budget: GitHubWriteBudget) => Promise<void>;
}

export interface GitHubRecordHandOver {
  /** Resolves once the writer accepted the record; rejects (nothing kept) when `signal` aborts first. */
  hand(taskQueue: string, request: GitHubRecordRequest, budget: GitHubWriteBudget, signal?: AbortSignal): Promise<void>;
  /** Hand-overs sent so far, and records they carried (for the worker's log and the bench). */
  stats(): { handOvers: number; records: number };
}

export function createGitHubRecordHandOver({ temporal, maxBatch = HAND_OVER_BATCH, send }: HandOverOptions): GitHubRecordHandOver {
  const lines = new Map<string, Line>();
  let handOvers = 0;
  let recordsHanded = 0;

  const sendBatch =
    send ??
    (async (taskQueue: string, records: GitHubRecordRequest[], budget: GitHubWriteBudget) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await temporal.connection.withDeadline(Date.now() + HAND_OVER_DEADLINE_MS, () =>
            temporal.workflow.executeUpdateWithStart(gitHubRecordsUpdate, { args: [{ records, budget }], startWorkflowOperation: writerStart(taskQueue) }),
          );
          return;
        } catch (err) {
          if (!refusedWhileClosing(err) || attempt >= CLOSING_RETRIES) throw err;
          await new Promise((resolve) => setTimeout(resolve, CLOSING_RETRY_MS));
        }
      }
    });

  async function handOverWaiting(taskQueue: string, line: Line): Promise<void> {
    line.handing = true;
    try {
      while (line.waiting.length > 0) {
        const batch = line.waiting.splice(0, maxBatch);
        try {
          // Budgets differ only across a worker's config change; the latest wins in the writer anyway.
          await sendBatch(
            taskQueue,
            batch.map((w) => w.request),
            batch.at(-1)!.budget,
          );
          handOvers++;
          recordsHanded += batch.length;
          for (const w of batch) w.accepted();
        } catch (err) {
          for (const w of batch) w.refused(err);
        }
      }
    } finally {
      line.handing = false;
    }
  }

  return {
    hand(taskQueue, request, budget, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        let line = lines.get(taskQueue);
        if (!line) lines.set(taskQueue, (line = { waiting: [], handing: false }));
        const entry: Waiting = { request, budget, accepted: () => settle(resolve), refused: (err) => settle(() => reject(err)) };
        // Cancelled before it was sent: it leaves the line, so a retry never hands the same record twice.
        const onAbort = () => {
          const at = line.waiting.indexOf(entry);
          if (at < 0) return; // already on its way: its hand-over's outcome decides
          line.waiting.splice(at, 1);
          settle(() => reject(signal!.reason));
        };
        function settle(done: () => void) {
          signal?.removeEventListener('abort', onAbort);
          done();
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        line.waiting.push(entry);
        if (!line.handing) void handOverWaiting(taskQueue, line);
      });
    },
    stats: () => ({ handOvers, records: recordsHanded }),
  };
}
