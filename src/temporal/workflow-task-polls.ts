/**
 * How a worker splits its workflow-task polls between the task queue itself and its own sticky
 * queue. The SDK takes a total (`workflowTaskPollerBehavior`'s maximum, 10 by default: in SDK 1.24
 * `maxConcurrentWorkflowTaskPolls` no longer changes it) and a ratio (`nonStickyToStickyPollRatio`),
 * and gives the task queue `floor(total × ratio)`; Runway sets the task queue's share directly
 * (RUNWAY_WORKER_WORKFLOW_POLLS) and keeps the sticky queue's.
 */

/** Polls of the worker's sticky queue: the SDK's default share (8 of 10). */
export const STICKY_WORKFLOW_TASK_POLLS = 8;

export interface WorkflowTaskPollOptions {
  workflowTaskPollerBehavior: { type: 'simple-maximum'; maximum: number };
  nonStickyToStickyPollRatio: number;
}

/** Worker options giving the task queue `taskQueuePolls` polls and the sticky queue 8. */
export function workflowTaskPollOptions(taskQueuePolls: number): WorkflowTaskPollOptions {
  if (!Number.isInteger(taskQueuePolls) || taskQueuePolls < 1) throw new RangeError(`workflow-task polls of the task queue must be a positive integer (got ${taskQueuePolls})`);
  const total = taskQueuePolls + STICKY_WORKFLOW_TASK_POLLS;
  // Half a poll above the exact share: the SDK rounds total × ratio down, so a ratio of exactly
  // n / total could come out a hair under n in floating point and lose a poll.
  return { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: total }, nonStickyToStickyPollRatio: (taskQueuePolls + 0.5) / total };
}

