/**
 * Talking to releases from outside the workflow: start, inspect, follow, decide. Shared by the
 * CLI, the demo, the approvals server and tests.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { OperatorAction } from '../domain/operator-controls';
import { type ReleaseInput, type ReleaseOutcome, type ReleaseStatus, type ReleaseEvent, isTerminalStage } from '../domain/release';
import { releaseId } from '../domain/release-id';
import {
  approveUpdate,
  type ControlAck,
  controlUpdates,
  type DecisionAck,
  RELEASE_WORKFLOW_TYPE,
  rejectUpdate,
  serviceSearchAttribute,
  stageSearchAttribute,
  statusQuery,
  versionSearchAttribute,
} from '../messages';

export interface StartedRelease {
  releaseId: string;
  /** False when a release with this id was already running (starting again is harmless). */
  started: boolean;
}

export async function startRelease(client: Client, taskQueue: string, input: ReleaseInput): Promise<StartedRelease> {
  const id = releaseId(input.service, input.version);
  try {
    await client.workflow.start(RELEASE_WORKFLOW_TYPE, {
      workflowId: id,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: serviceSearchAttribute, value: input.service },
        { key: versionSearchAttribute, value: input.version },
        { key: stageSearchAttribute, value: 'queued' },
      ],
      staticSummary: `Release ${input.service} ${input.version.slice(0, 12)}`,
      staticDetails: `**Image** ${input.image}\n\n**Requested by** ${input.requestedBy}: ${input.reason}`,
    });
    return { releaseId: id, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { releaseId: id, started: false };
    throw err;
  }
}

/** Thrown when a release refuses a request (its Update validator said no). */
export class ReleaseRefusedError extends Error {
  override name = 'ReleaseRefusedError';
}

/** The live status (query) of a running release, or the final status of a finished one. */
export async function releaseStatus(client: Client, id: string): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle(id);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') return handle.query(statusQuery);
  if (description.status.name === 'COMPLETED') return ((await handle.result()) as ReleaseOutcome).status;
  // Cancelled, terminated or timed out: no result; the query still answers when a worker is up.
  return handle.query(statusQuery);
}

export interface FollowOptions {
  pollMs?: number;
  onEvent?: (event: ReleaseEvent, status: ReleaseStatus) => void;
  /** Called on every poll; e.g. the demo approves when the stage says so. */
  onStatus?: (status: ReleaseStatus) => Promise<void> | void;
  signal?: AbortSignal;
}

/**
 * Polls a release until it ends, reporting each new history event once. Tolerates a moment
 * without a worker (queries then fail) by trying again.
 */
export async function followRelease(client: Client, id: string, options: FollowOptions = {}): Promise<ReleaseStatus> {
  const pollMs = options.pollMs ?? 1000;
  let seen = 0;
  for (;;) {
    let status: ReleaseStatus | undefined;
    try {
      status = await releaseStatus(client, id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
    }
    if (status) {
      for (const event of status.history.slice(seen)) options.onEvent?.(event, status);
      seen = status.history.length;
      await options.onStatus?.(status);
      if (isTerminalStage(status.stage)) return status;
    }
    if (options.signal?.aborted) throw new Error('stopped following');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export async function decideRelease(
  client: Client,
  id: string,
  decision: 'approve' | 'reject',
  by: string,
  note?: string,
): Promise<DecisionAck> {
  const handle = client.workflow.getHandle(id);
  try {
    if (decision === 'approve') return await handle.executeUpdate(approveUpdate, { args: [{ by, comment: note }] });
    return await handle.executeUpdate(rejectUpdate, { args: [{ by, reason: note }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ReleaseRefusedError((err.cause as Error | undefined)?.message ?? err.message);
    }
    throw err;
  }
}

/** Pause, resume, promote or abort a release; refusals become ReleaseRefusedError. */
export async function controlRelease(client: Client, id: string, action: OperatorAction, by: string, reason?: string): Promise<ControlAck> {
  try {
    return await client.workflow.getHandle(id).executeUpdate(controlUpdates[action], { args: [{ by, reason }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ReleaseRefusedError((err.cause as Error | undefined)?.message ?? err.message);
    }
    throw err;
  }
}
