/**
 * The release lane's side effects (issue 18, part 1), as thin adapters around Runway's own
 * Temporal client:
 * - `enterLane`: a release or rollback asks its service's lane for a place, with update-with-start
 *   so the lane workflow is created by the first one to ask, atomically on the server;
 * - `passLaneApproval`: the holder asks to go past its approval (refused once it was told to stop);
 * - `awaitRunClosed`: the lane waits for its holder's run to close, the server's word on it
 *   (pushed by a long poll, not asked every second).
 * All three are idempotent: a retry asks the same question and gets the same answer.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import {
  admitUpdate,
  type LaneAdmit,
  type LaneAdmitted,
  type LaneInput,
  LANE_WORKFLOW_TYPE,
  laneWorkflowId,
  type PassApprovalAnswer,
  passApprovalUpdate,
} from '../src/domain/lane-api';
import { nonRetryable } from './errors';
import { SHARED_WORKFLOW_PRIORITY } from '../src/domain/shared-workflow-priority';

export interface EnterLaneInput {
  taskQueue: string;
  service: string;
  request: LaneAdmit;
}

export interface AwaitRunClosedInput {
  workflowId: string;
  runId: string;
  /** Give up (closed: false) after this long, so the lane's history records a bounded wait and it can continue as new. */
  forMs: number;
}

export interface LaneActivityOptions {
  /** How long `awaitRunClosed` waits for the server to tell it the run closed before it asks describe again (default 20 s). */
  waitMs?: number;
}

/** The shortest wait worth a long poll (the server answers one with under a second left at once). */
const MIN_LONG_POLL_MS = 2000;

/** How often the watch hands the SDK a heartbeat while it waits; the SDK sends them on at its own throttled pace. */
const HEARTBEAT_EVERY_MS = 1000;

export function createLaneActivities({ temporal, options = {} }: { temporal?: Client; options?: LaneActivityOptions }) {
  const waitMs = options.waitMs ?? 20_000;
  const client = (): Client => {
    if (!temporal) throw nonRetryable('this worker has no Temporal client for release lane activities', 'NotConfigured');
    return temporal;
  };
  return {
    async enterLane({ taskQueue, service, request }: EnterLaneInput): Promise<LaneAdmitted> {
      const input: LaneInput = { service, taskQueue, mode: request.mode };
      const start = new WithStartWorkflowOperation(LANE_WORKFLOW_TYPE, {
        workflowId: laneWorkflowId(taskQueue, service),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Release lane of ${service}`,
        priority: SHARED_WORKFLOW_PRIORITY,
      });
      return client().workflow.executeUpdateWithStart(admitUpdate, { args: [request], startWorkflowOperation: start });
    },

    async passLaneApproval({ taskQueue, service, workflowId }: { taskQueue: string; service: string; workflowId: string }): Promise<PassApprovalAnswer> {
      return client().workflow.getHandle(laneWorkflowId(taskQueue, service)).executeUpdate(passApprovalUpdate, { args: [{ workflowId }] });
    },

    /**
     * Waits for the run to close, told by the server: a long poll on the run's close event
     * (`result()` of this run only), which returns as soon as it closes. Every `waitMs` it asks
     * `describe` (the answer it trusts). A held lane therefore costs the server one describe and
     * one long poll per `waitMs` plus its heartbeats (one per 48 s at the watch's 60 s heartbeat
     * timeout), not a describe a second: 2,000 held lanes, about 240 calls a second in all instead
     * of 2,500, and each lane still frees within a moment of its holder's close.
     */
    async awaitRunClosed({ workflowId, runId, forMs }: AwaitRunClosedInput): Promise<{ closed: boolean; status?: string }> {
      const ctx = Context.current();
      const until = Date.now() + forMs;
      const handle = client().workflow.getHandle(workflowId, runId);
      for (;;) {
        let status: string;
        try {
          status = (await handle.describe()).status.name;
        } catch (err) {
          // Gone from the server (retention): it closed long ago.
          if (err instanceof WorkflowNotFoundError) return { closed: true, status: 'NOT_FOUND' };
          throw err;
        }
        if (status !== 'RUNNING') return { closed: true, status };
        const left = until - Date.now();
        if (left <= 0) return { closed: false };
        // Heartbeats go on during the long poll (the SDK sends them at most every 0.8 × the heartbeat
        // timeout), so a dead worker's watch moves on as fast as Runway's other long activities.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const pollMs = Math.min(waitMs, left);
        // The server keeps a second of a call's deadline for itself: a shorter poll is answered at once.
        if (pollMs < MIN_LONG_POLL_MS) {
          await ctx.sleep(pollMs);
          continue;
        }
        heartbeat({ waitingFor: workflowId });
        const beating = setInterval(() => heartbeat({ waitingFor: workflowId }), HEARTBEAT_EVERY_MS);
        // The client adds an abort listener per call and never removes it, so each poll gets a
        // signal of its own, dropped with the poll: on the activity's own signal the listeners (and
        // the calls they hold) piled up for the watch's whole life.
        const poll = new AbortController();
        const cancelPoll = () => poll.abort();
        ctx.cancellationSignal.addEventListener('abort', cancelPoll, { once: true });
        try {
          // Ends when the run closes (whatever its result), at the deadline, or when the lane cancels this wait.
          await client()
            .connection.withAbortSignal(poll.signal, () => client().connection.withDeadline(Date.now() + pollMs, () => waitForCloseEvent(client(), workflowId, runId)))
            .catch(() => undefined);
        } finally {
          clearInterval(beating);
          ctx.cancellationSignal.removeEventListener('abort', cancelPoll);
        }
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      }
    },
  };
}

/**
 * One long poll on the run's close event: the server answers when the run closes or when its long
 * poll expires (empty). Exactly one call, unlike `handle.result()`, which asks again at once after
 * an empty answer: with the watch's deadline nearly spent, the server answers at once, and
 * `result()` spun — about 170 calls a second per held lane (3 GiB RSS and a saturated dev server
 * at 250 held lanes, 2026-12-04).
 */
async function waitForCloseEvent(client: Client, workflowId: string, runId: string): Promise<void> {
  await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    waitNewEvent: true,
    historyEventFilterType: proto.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    skipArchival: true,
  });
}

export type LaneActivities = ReturnType<typeof createLaneActivities>;
