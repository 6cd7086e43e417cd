/**
 * What a release that did not finish in time was last doing: its pending activities and
 * children and its last history events, for a chaos or load run's log. Without it a run
 * deadline reads only "no outcome", and the stuck run's state is gone with its dev server.
 */
import type { Client } from '@temporalio/client';
import { tsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { saveHistory } from './replay-check';

const EventType = temporal.api.enums.v1.EventType;
const LAST_EVENTS = 15;

export async function describeStuckRelease(client: Client, id: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    const handle = client.workflow.getHandle(id);
    const { raw, status } = await handle.describe();
    lines.push(`${id}: ${status.name}, ${raw.workflowExecutionInfo?.historyLength ?? '?'} events`);
    for (const a of raw.pendingActivities ?? []) {
      const failure = a.lastFailure?.message ? `, last failure: ${a.lastFailure.message}` : '';
      lines.push(`  pending activity ${a.activityType?.name} (state ${a.state}, attempt ${a.attempt}${failure})`);
    }
    const task = raw.pendingWorkflowTask;
    if (task) lines.push(`  pending workflow task (state ${task.state}, attempt ${task.attempt})`);
    for (const c of raw.pendingChildren ?? []) lines.push(`  pending child ${c.workflowTypeName} ${c.workflowId}`);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    lines.push(`  history saved to ${saveHistory(id, history)}`);
    for (const e of events.slice(-LAST_EVENTS)) lines.push(`  #${e.eventId} ${eventTime(e)} ${EventType[e.eventType ?? 0]}${eventDetail(e)}`);
  } catch (err) {
    lines.push(`${id}: could not be described: ${(err as Error).message}`);
  }
  return lines;
}

function eventTime(e: temporal.api.history.v1.IHistoryEvent): string {
  return e.eventTime ? tsToDate(e.eventTime).toISOString().slice(11, 23) : '?';
}

function eventDetail(e: temporal.api.history.v1.IHistoryEvent): string {
  const name =
    e.activityTaskScheduledEventAttributes?.activityType?.name ??
    e.workflowExecutionSignaledEventAttributes?.signalName ??
    e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
    e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
    e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
    e.timerStartedEventAttributes?.timerId;
  const failure = e.workflowTaskFailedEventAttributes;
  if (failure) return ` (cause ${failure.cause}: ${failure.failure?.message ?? ''})`;
  return name ? ` ${name}` : '';
}
