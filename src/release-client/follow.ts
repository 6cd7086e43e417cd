/**
 * Following a release until it ends (`runway watch`, `runway start --wait`, the demo).
 *
 * Each poll describes the workflow execution first (strongly consistent, answered by the
 * server alone) and asks the release's status query second, so the follow ends as soon as
 * Temporal knows the release ended, whatever the query says or whether a worker answers it:
 * - completed: the release's own outcome (released, rolled back, rejected, failed);
 * - cancelled: the release rolled back before it ended; its final stage says so (rolled-back,
 *   or failed when an undo could not complete), annotated with who asked for the cancellation;
 * - terminated, timed out, or failed as a workflow (Runway's code threw): the release ended
 *   without an outcome — its last stage may have left staging or production changed —
 *   unless it had recorded a final stage before (then that result stands);
 * - continued as new: followed into the new run;
 * - stuck (running, but its workflow task has failed or timed out STUCK_ATTEMPTS - 1 times in a
 *   row): it cannot move until someone fixes the worker or resets it, so the follow ends.
 * Ending without an outcome is ReleaseEndedWithoutOutcomeError, with a message that says what
 * happened, who did it, the last stage and where to look.
 */
import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { isTerminalStage, type ReleaseEvent, type ReleaseInput, type ReleaseResult, type ReleaseStatus } from '../domain/release';
import { releaseOutcome } from './outcome';
import { stageSearchAttribute, statusQuery } from '../domain/release-api';
import { stuckReleaseAdvice } from './errors';

/**
 * A release is stuck when its pending workflow task is on this attempt: the task failed (or
 * timed out) twice in a row. The TypeScript SDK retries a failed workflow task at once and lets
 * a second failure time out (the 10 s workflow task timeout), so this is about 10 s after the
 * first failure. A transient failure (a worker lost mid-task, an Update racing a completion) is
 * over by the retry; a worker that is merely down is not stuck (its task waits, nothing fails).
 */
export const STUCK_ATTEMPTS = 3;

/** How a release ended without an outcome of its own (or, stuck, cannot get one). */
export type ReleaseEnding = 'terminated' | 'timed-out' | 'failed' | 'cancelled' | 'stuck';

/** How a workflow execution closed without a result, as its history tells it. */
export interface Closure {
  kind: Exclude<ReleaseEnding, 'stuck'>;
  /** When it closed (the closing event's time). */
  at?: Date;
  /** Who terminated it, or asked for its cancellation (the caller's Temporal identity). */
  by?: string;
  /** The reason given with the termination or cancellation request. */
  reason?: string;
  /** The workflow failure's message (kind 'failed'). */
  failure?: string;
  /** The execution or run timeout that ran out (kind 'timed-out'), e.g. "30s". */
  timeout?: string;
}

/** What the release knew when it ended, for the message. */
export interface EndingContext {
  releaseId: string;
  /** The release's last stage (status query, or the RunwayStage search attribute). */
  lastStage?: string;
  /** The run in the Temporal Web UI, when the release's plan names the UI's address. */
  webUiLink?: string;
}

/** The release ended (or is stuck) without an outcome of its own; the message says what happened and where to look. */
export class ReleaseEndedWithoutOutcomeError extends Error {
  override name = 'ReleaseEndedWithoutOutcomeError';
  constructor(
    readonly releaseId: string,
    readonly ending: ReleaseEnding,
    readonly lastStage: string | undefined,
    message: string,
    /**
     * When the release had recorded a final stage before its workflow closed this way (no worker
     * answered to return its status): that stage's result, which stands.
     */
    readonly result?: ReleaseResult,
  ) {
    super(message);
  }
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
type ProtoTimestamp = HistoryEvent['eventTime'];
type ProtoDuration = NonNullable<HistoryEvent['workflowExecutionStartedEventAttributes']>['workflowExecutionTimeout'];

const CLOSED_WITHOUT_RESULT: Partial<Record<string, Closure['kind']>> = {
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** The kind of closure of an execution status that has no result (undefined for running, completed, continued as new). */
export function closureKind(statusName: string): Closure['kind'] | undefined {
  return CLOSED_WITHOUT_RESULT[statusName];
}

function timestampToDate(ts: ProtoTimestamp): Date | undefined {
  if (!ts?.seconds) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

function durationText(d: ProtoDuration): string | undefined {
  const millis = d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : 0;
  if (millis <= 0) return undefined;
  return millis % 1000 === 0 ? `${millis / 1000}s` : `${millis}ms`;
}

/** Pure: what a closed execution's history says about its closure (who, when, why). */
export function closureFromHistory(kind: Closure['kind'], events: readonly HistoryEvent[]): Closure {
  const closure: Closure = { kind };
  const last = events[events.length - 1];
  if (last) closure.at = timestampToDate(last.eventTime);
  if (kind === 'terminated') {
    const terminated = last?.workflowExecutionTerminatedEventAttributes;
    closure.by = terminated?.identity || undefined;
    closure.reason = terminated?.reason || undefined;
  } else if (kind === 'cancelled') {
    const requested = [...events].reverse().find((e) => e.workflowExecutionCancelRequestedEventAttributes)?.workflowExecutionCancelRequestedEventAttributes;
    closure.by = requested?.identity || undefined;
    closure.reason = requested?.cause || undefined;
  } else if (kind === 'failed') {
    closure.failure = last?.workflowExecutionFailedEventAttributes?.failure?.message || undefined;
  } else {
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    closure.timeout = durationText(started?.workflowExecutionTimeout) ?? durationText(started?.workflowRunTimeout);
  }
  return closure;
}

/** Pure: the latest failure of a workflow task the history records (later failures of the same task are not recorded). */
export function latestWorkflowTaskFailure(events: readonly HistoryEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.workflowTaskCompletedEventAttributes) return undefined;
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed) return failed.failure?.message || undefined;
    if (event.workflowTaskTimedOutEventAttributes) return 'the workflow task timed out (a worker was lost, or too slow)';
  }
  return undefined;
}

const where = (context: EndingContext) => {
  const look = `run \`runway status ${context.releaseId}\` (a worker must be up to answer)`;
  return context.webUiLink ? `${look} or open ${context.webUiLink}` : `${look} or \`temporal workflow show --workflow-id ${context.releaseId}\``;
};

const stageText = (context: EndingContext) => `last stage recorded: ${context.lastStage ?? 'unknown'}`;

/** Pure: the one-paragraph message for a release that ended without an outcome. */
export function closureMessage(closure: Closure, context: EndingContext): string {
  const { releaseId } = context;
  const at = closure.at ? ` at ${closure.at.toISOString()}` : '';
  const by = closure.by ? ` by ${closure.by}` : '';
  const reason = closure.reason ? ` (reason: ${closure.reason})` : '';
  const what =
    closure.kind === 'terminated' ? `${releaseId} was terminated${by}${at}${reason}`
    : closure.kind === 'timed-out' ? `${releaseId} timed out${at}: its workflow ${closure.timeout ? `timeout (${closure.timeout})` : 'timeout'} ran out`
    : closure.kind === 'cancelled' ? `${releaseId} was cancelled${by}${at}${reason}`
    : `${releaseId}'s workflow failed${at}: ${closure.failure ?? 'no failure message'}`;
  const undo = closure.kind === 'cancelled' ? 'Its rollback did not finish' : 'It did not roll back';
  return `${what}; ${stageText(context)}. ${undo}, so staging or production may be left changed: ${where(context)} and put right what it left.`;
}

/** Pure: the message for a release whose workflow task keeps failing. */
export function stuckMessage(attempt: number, latestFailure: string | undefined, context: EndingContext): string {
  const { releaseId } = context;
  return (
    `${releaseId} is stuck: its workflow task has failed ${attempt - 1} times in a row (${stageText(context)}; ` +
    `${latestFailure ? `recorded failure: ${latestFailure}` : 'the worker log says why'}). ` +
    `It is still running and carries on once a worker can run it (\`runway watch ${releaseId}\` follows it again): ${where(context)}. ` +
    stuckReleaseAdvice(releaseId)
  );
}

/** Pure: a note added to the outcome of a release whose workflow closed this way after it had recorded that outcome. */
export function closureNote(closure: Closure): string {
  const by = closure.by ? ` by ${closure.by}` : '';
  const reason = closure.reason ? ` (reason: ${closure.reason})` : '';
  if (closure.kind === 'cancelled') return `cancellation requested${by}${reason}`;
  if (closure.kind === 'terminated') return `then its workflow was terminated${by}${reason}`;
  if (closure.kind === 'timed-out') return 'then its workflow timed out';
  return `then its workflow failed: ${closure.failure ?? 'no failure message'}`;
}

/**
 * Pure: the end of a follow for a workflow that closed without a result, given the release's
 * last status (when a worker answered) or else its last recorded stage. A final stage stands
 * (returned as the status to report, annotated); anything else ended without an outcome.
 */
export function settleClosedRelease(closure: Closure, status: ReleaseStatus | undefined, context: EndingContext): ReleaseStatus {
  const lastStage = status?.stage ?? context.lastStage;
  const full = { ...context, lastStage };
  if (status && isTerminalStage(status.stage)) {
    return { ...status, outcomeReason: [status.outcomeReason, closureNote(closure)].filter(Boolean).join('; ') };
  }
  const finalStage = lastStage && isTerminalStage(lastStage as ReleaseStatus['stage']) ? (lastStage as ReleaseResult) : undefined;
  if (finalStage) {
    throw new ReleaseEndedWithoutOutcomeError(context.releaseId, closure.kind, lastStage, `${context.releaseId}: ${finalStage} — ${closureNote(closure)} (no worker answered for its final status: ${where(full)})`, finalStage);
  }
  throw new ReleaseEndedWithoutOutcomeError(context.releaseId, closure.kind, lastStage, closureMessage(closure, full));
}

export interface FollowOptions {
  pollMs?: number;
  onEvent?: (event: ReleaseEvent, status: ReleaseStatus) => void;
  /** Called on every status the release answers with; e.g. the demo approves when the stage says so. */
  onStatus?: (status: ReleaseStatus) => Promise<void> | void;
  signal?: AbortSignal;
  /** How long one status query may take (a release without a worker cannot answer). @default 10_000 */
  queryTimeoutMs?: number;
}

/** A Keyword search attribute's value from describe(), if set. */
export function keywordAttribute(attributes: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = attributes?.[name];
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

const CLOSED_QUERY_TIMEOUT_MS = 5_000;

/**
 * How long, once the status says the release ended, the follow waits for its run to close before
 * returning that status anyway. A released release keeps its run open until its Slack messenger
 * has sent the final update (about a second idle; minutes when Slack's pace is the queue), and a
 * CI step that audits or queries the release straight after should find it closed; a release
 * whose final waits longer is not worth holding CI for.
 */
export const CLOSE_GRACE_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The status query, given up after `timeoutMs`; undefined when it did not answer. */
function queryWithin(client: Client, handle: WorkflowHandle, timeoutMs: number): Promise<ReleaseStatus | undefined> {
  return client.withDeadline(Date.now() + timeoutMs, () => handle.query(statusQuery)).catch(() => undefined);
}

/** The run's page in the Web UI, from the release's plan (its start input); undefined when the plan names no UI. */
function webUiLink(client: Client, releaseId: string, runId: string, events: readonly HistoryEvent[]): string | undefined {
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const base = defaultPayloadConverter.fromPayload<ReleaseInput>(payload as Payload).plan?.webUiUrl;
    return base ? `${base}/namespaces/${client.options.namespace}/workflows/${releaseId}/${runId}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls a release until it ends, reporting each new history event once, and returns its final
 * status once its run has closed (or CLOSE_GRACE_MS after its status said it ended); throws ReleaseEndedWithoutOutcomeError when it ended without an outcome or is stuck,
 * WorkflowNotFoundError when there is no such release. Tolerates a moment without a worker or
 * without Temporal (it tries again). Follows the run it finds first (and the runs it continues as).
 */
export async function followRelease(client: Client, id: string, options: FollowOptions = {}): Promise<ReleaseStatus> {
  const pollMs = options.pollMs ?? 1000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  let runId: string | undefined;
  let seen = 0;
  let asking: Promise<ReleaseStatus | undefined> | undefined;
  /** The status that said the release ended, while its run has not closed yet, and since when. */
  let ended: { status: ReleaseStatus; sinceMs: number } | undefined;
  const report = async (status: ReleaseStatus) => {
    for (const event of status.history.slice(seen)) options.onEvent?.(event, status);
    seen = Math.max(seen, status.history.length);
    await options.onStatus?.(status);
  };
  for (;;) {
    if (options.signal?.aborted) throw new Error('stopped following');
    if (ended && Date.now() - ended.sinceMs >= CLOSE_GRACE_MS) return ended.status;
    const tick = sleep(pollMs);
    let description: Awaited<ReturnType<WorkflowHandle['describe']>> | undefined;
    try {
      description = await client.workflow.getHandle(id, runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw err;
    }
    if (description) {
      runId ??= description.runId;
      const handle = client.workflow.getHandle(id, runId);
      const state = description.status.name;
      const lastStage = keywordAttribute(description.searchAttributes, stageSearchAttribute.name);
      // Released, or (since issue 19) failed carrying its outcome: rolled back, rejected or failed.
      const outcome = state === 'COMPLETED' || state === 'FAILED' ? await releaseOutcome(handle).catch(() => undefined) : undefined;
      if (outcome) {
        await report(outcome.status);
        return outcome.status;
      }
      const kind = closureKind(state);
      if (kind) {
        const events = (await handle.fetchHistory()).events ?? [];
        // A closed release answers only from a worker replaying it; a few seconds are enough for that.
        const status = await queryWithin(client, handle, Math.min(queryTimeoutMs, CLOSED_QUERY_TIMEOUT_MS));
        if (status) await report(status);
        const context = { releaseId: id, lastStage, webUiLink: webUiLink(client, id, runId, events) };
        return settleClosedRelease(closureFromHistory(kind, events), status, context);
      }
      if (state === 'CONTINUED_AS_NEW') {
        const events = (await handle.fetchHistory()).events ?? [];
        runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        asking = undefined;
        ended = undefined;
        continue;
      }
      // Ended by its status, run still open: wait for the close (above), until the grace is over
      // (top of the loop); the status stands even if the run's last workflow task is now failing.
      if (ended) {
        await tick;
        continue;
      }
      const attempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempt >= STUCK_ATTEMPTS) {
        const events = (await handle.fetchHistory()).events ?? [];
        const context = { releaseId: id, lastStage, webUiLink: webUiLink(client, id, runId, events) };
        throw new ReleaseEndedWithoutOutcomeError(id, 'stuck', lastStage, stuckMessage(attempt, latestWorkflowTaskFailure(events), context));
      }
      // Running. The query waits for a worker (and for a failing workflow task, about 30 s),
      // so it never holds up the next describe: one query at a time, raced against the tick.
      if (attempt < 2) asking ??= queryWithin(client, handle, queryTimeoutMs);
      if (asking) {
        const answer = await Promise.race([asking.then((status) => ({ status })), tick.then(() => undefined)]);
        if (answer) {
          asking = undefined;
          if (answer.status) {
            await report(answer.status);
            if (isTerminalStage(answer.status.stage)) ended = { status: answer.status, sinceMs: Date.now() };
          }
        }
      }
    }
    await tick;
  }
}
