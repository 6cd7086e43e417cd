/**
 * How a release's workflow ends: a released one completes with its outcome; one that did not
 * reach production (rolled back, rejected, failed) fails, carrying the same outcome as its
 * failure's detail, so an operator scanning the Web UI's list sees it red, not a green
 * "Completed" (issue 19). Releases recorded before this replay completing, as they did.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { notReleasedMessage, RELEASE_NOT_RELEASED, type ReleaseOutcome } from '../src/domain/release';

export function endRelease(outcome: ReleaseOutcome): ReleaseOutcome {
  if (outcome.result === 'released' || !patched('not-released-fails')) return outcome;
  const failure = ApplicationFailure.create({ type: RELEASE_NOT_RELEASED, message: notReleasedMessage(outcome), details: [outcome], nonRetryable: true });
  // A deliberate ending, not a crash: the Web UI shows the outcome, not a stack of workflow code.
  failure.stack = '';
  throw failure;
}
