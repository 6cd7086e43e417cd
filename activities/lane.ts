/**
 * The release lane's side effects (issue 18, part 1), as thin adapters around Runway's own
 * Temporal client:
 * - `enterLane`: a release or rollback asks its service's lane for a place, with update-with-start
 *   so the lane workflow is created by the first one to ask, atomically on the server;
 * - `passLaneApproval`: the holder asks to go past its approval (refused once it was told to stop);
 * - `awaitRunClosed`: the lane waits for its holder's run to close, the server's word on it.
 * All three are idempotent: a retry asks the same question and gets the same answer.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
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
  /** How often to ask the server; the lane sets it slow while nobody is queued. @default the worker's pollIntervalMs (1 s) */
  pollIntervalMs?: number;
}

export interface LaneActivityOptions {
  /** How often `awaitRunClosed` asks the server (default 1 s). */
  pollIntervalMs?: number;
}

export function createLaneActivities({ temporal, options = {} }: { temporal?: Client; options?: LaneActivityOptions }) {
  const pollMs = options.pollIntervalMs ?? 1000;
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
      });
      return client().workflow.executeUpdateWithStart(admitUpdate, { args: [request], startWorkflowOperation: start });
    },

    async passLaneApproval({ taskQueue, service, workflowId }: { taskQueue: string; service: string; workflowId: string }): Promise<PassApprovalAnswer> {
      return client().workflow.getHandle(laneWorkflowId(taskQueue, service)).executeUpdate(passApprovalUpdate, { args: [{ workflowId }] });
    },

    async awaitRunClosed({ workflowId, runId, forMs, pollIntervalMs }: AwaitRunClosedInput): Promise<{ closed: boolean; status?: string }> {
      const until = Date.now() + forMs;
      const everyMs = pollIntervalMs ?? pollMs;
      for (;;) {
        let status: string;
        try {
          status = (await client().workflow.getHandle(workflowId, runId).describe()).status.name;
        } catch (err) {
          // Gone from the server (retention): it closed long ago.
          if (err instanceof WorkflowNotFoundError) return { closed: true, status: 'NOT_FOUND' };
          throw err;
        }
        if (status !== 'RUNNING') return { closed: true, status };
        if (Date.now() >= until) return { closed: false };
        heartbeat({ waitingFor: workflowId });
        await Context.current().sleep(Math.min(everyMs, Math.max(0, until - Date.now())));
      }
    },
  };
}

export type LaneActivities = ReturnType<typeof createLaneActivities>;
