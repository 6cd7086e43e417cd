/**
 * A release's outcome, however its workflow ended it: returned by a completed (released) one, or
 * carried as the detail of the ReleaseNotReleased failure a rolled-back, rejected or failed one
 * ends with (workflows/release-ending.ts). Releases recorded before that change completed with
 * every outcome; both read the same here.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RELEASE_NOT_RELEASED, type ReleaseOutcome } from '../domain/release';

/** The outcome a failed release's workflow carries, or undefined when `err` is not that failure. */
export function outcomeOfFailure(err: unknown): ReleaseOutcome | undefined {
  const failure = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(failure instanceof ApplicationFailure) || failure.type !== RELEASE_NOT_RELEASED) return undefined;
  const detail = failure.details?.[0] as ReleaseOutcome | undefined;
  return detail && typeof detail === 'object' && typeof detail.result === 'string' ? detail : undefined;
}

/** Waits for a release (or rollback) workflow to close and returns its outcome; other failures are rethrown. */
export async function releaseOutcome(handle: { result(): Promise<unknown> }): Promise<ReleaseOutcome> {
  try {
    return (await handle.result()) as ReleaseOutcome;
  } catch (err) {
    const outcome = outcomeOfFailure(err);
    if (outcome) return outcome;
    throw err;
  }
}
