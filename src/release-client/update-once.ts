/**
 * A person's decision or control (approve, reject, pause, promote, end a freeze…) sent as a
 * Temporal Update that takes effect once, however often its answer is lost on the way back.
 *
 * Under load the server can cancel an Update call after it delivered the Update: at 2,000 releases
 * on four workers (2026-12-05) one of 2,000 approvals came back "stream terminated by RST_STREAM
 * with error code: CANCEL" (the client's `WorkflowUpdateRPCTimeoutOrCancelledError`) while the
 * release had accepted it and moved on to its canary. The approver was told it failed; sent again
 * with a new id, it would have been refused as already decided. Temporal keys an Update by its id
 * within a run and answers a repeated id with the first one's outcome, so the call is repeated
 * with the same id, and the person gets the outcome of the one Update the release saw.
 */
import { type CallContext, type WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';

export interface UpdateOnceOptions {
  /** Calls in all, the first included. @default 5 */
  attempts?: number;
  /** The wait before the second call, doubling after each. @default 1000 */
  firstBackoffMs?: number;
  /** Told before each call after the first, so a command can say it is still trying. */
  onLostAnswer?: (lost: LostAnswer) => void;
}

/** What a command asking for a decision may hear while it waits: each repeat of a lost call. */
export type LostAnswerListener = Pick<UpdateOnceOptions, 'onLostAnswer'>;

/** A call whose answer was lost, about to be sent again. */
export interface LostAnswer {
  /** The call about to be made, 2 for the first repeat. */
  call: number;
  /** Calls in all. */
  calls: number;
  /** How the last answer was lost: the server's or the connection's words. */
  cause: WorkflowUpdateRPCTimeoutOrCancelledError;
}

/**
 * What a person waiting on a command is told while the answer to `what` is sent for again, so a
 * slow server reads as "still trying, counts once", not as a hang or a failure.
 */
export function lostAnswerNotice(what: string, { call, calls, cause }: LostAnswer): string {
  return `${what}: no answer from the server (${cause.message}); asking again with the same id, call ${call} of ${calls} (it takes effect once)`;
}

/**
 * The deadline the caller set around this call (`client.withDeadline`, as the Slack approvals
 * server sets one per click), in ms since the epoch; undefined when it set none.
 */
function callersDeadline(handle: WorkflowHandle): number | undefined {
  // `callContextStorage` is on the SDK's Connection, not on every ConnectionLike: read it if there.
  const connection = handle.client?.connection as { callContextStorage?: AsyncLocalStorage<CallContext> } | undefined;
  const deadline = connection?.callContextStorage?.getStore()?.deadline;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * `handle.executeUpdate(update, { args })`, repeated with the same Update id while the call is
 * cancelled or timed out on the way (at most `attempts` calls). Any other error, a refusal by the
 * release's validator among them, is the caller's at once. So is a lost answer when the caller's
 * own deadline would pass before the next call: calling then could not help, and the caller
 * decides how long it waits. A timeout without one is the server's: under load (2,000 releases on
 * four workers, 2026-12-06) an approval came back `context deadline exceeded`, the server's own
 * words, from a call with no deadline, and the approver would not have known if it counted.
 */
export async function executeUpdateOnce<Ret, Args extends [unknown, ...unknown[]]>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
  { attempts = 5, firstBackoffMs = 1000, onLostAnswer }: UpdateOnceOptions = {},
): Promise<Ret> {
  const updateId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.executeUpdate(update, { args, updateId });
    } catch (err) {
      if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) || attempt >= attempts) throw err;
      const backoffMs = firstBackoffMs * 2 ** (attempt - 1);
      const deadline = callersDeadline(handle);
      if (deadline !== undefined && Date.now() + backoffMs >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      onLostAnswer?.({ call: attempt + 1, calls: attempts, cause: err });
    }
  }
}
