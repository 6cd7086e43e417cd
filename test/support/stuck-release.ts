/**
 * What a release that stopped moving is waiting for, for a test's failure message: its pending
 * activities and workflow task, and the same for its service's lane, so a CI flake names the call
 * it stuck on instead of only the stage.
 */
import type { Client } from '@temporalio/client';
import { laneWorkflowId } from '../../src/domain/lane-api';

/** A failure and its causes, innermost last ("Workflow Update failed" alone does not say why). */
function failureChain(failure: { message?: string | null; cause?: unknown } | null | undefined): string {
  const messages: string[] = [];
  for (let f = failure; f && messages.length < 5; f = f.cause as typeof failure) messages.push(f.message ?? '?');
  return messages.join(' ← ');
}

async function pendingWork(client: Client, workflowId: string): Promise<string> {
  try {
    const { raw, status } = await client.workflow.getHandle(workflowId).describe();
    const activities = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state}${a.lastFailure ? ` (last failure: ${failureChain(a.lastFailure)})` : ''}${a.lastWorkerIdentity ? ` on ${a.lastWorkerIdentity}` : ''}`,
    );
    const task = raw.pendingWorkflowTask ? [`workflow task state ${raw.pendingWorkflowTask.state} attempt ${raw.pendingWorkflowTask.attempt}`] : [];
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const tail = events.slice(-8).map((e) => `${e.eventId}:${e.eventType}`);
    // Why its workflow tasks failed or timed out, if they did: the worker's own words, the last three.
    const taskTroubles = events
      .flatMap((e) => {
        const failed = e.workflowTaskFailedEventAttributes;
        if (failed) return [`${e.eventId}: task failed (cause ${failed.cause}) on ${failed.identity}: ${failureChain(failed.failure)}`];
        const timedOut = e.workflowTaskTimedOutEventAttributes;
        return timedOut ? [`${e.eventId}: task timed out (${timedOut.timeoutType})`] : [];
      })
      .slice(-3);
    return [`${workflowId} ${status.name}: ${[...activities, ...task].join('; ') || 'nothing pending'}; last events ${tail.join(' ')}`, ...taskTroubles].join('\n  ');
  } catch (err) {
    return `${workflowId}: ${(err as Error).message}`;
  }
}

export async function describeStuckRelease(client: Client, releaseId: string, lane: { taskQueue: string; service: string }): Promise<string> {
  return [await pendingWork(client, releaseId), await pendingWork(client, laneWorkflowId(lane.taskQueue, lane.service))].join('\n');
}
