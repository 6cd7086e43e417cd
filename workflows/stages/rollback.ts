/**
 * When the release cannot go forward (a failure, a rejection, failing analysis, an abort or a
 * cancellation): every registered undo runs (traffic back on stable first, then previous task
 * definitions), GitHub shows what really runs again, and Slack says why, in the message and to
 * the requester in its thread. Non-cancellable: a cancelled release must still roll back.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { type ReleaseOutcome, ReleaseStage } from '../../src/domain/release';
import { escapeMrkdwn } from '../../src/slack/escape';
import { failureMessage } from '../compensations';
import type { ReleaseContext } from '../release-context';
import { ReleaseRejected, ReleaseStopped } from '../release-stopped';

/** Rolls the release back after `err` ended its forward path; a cancellation is rethrown once the rollback is done. */
export async function rollBack(release: ReleaseContext, err: unknown): Promise<ReleaseOutcome> {
  // Stopped by its lane (superseded, preempted by a rollback): rolled back like an abort, with the lane's reason.
  const laneStop = isCancellation(err) ? release.lane?.stopReason : undefined;
  const aborted = isCancellation(err) && (release.controls.pending === 'abort' || laneStop !== undefined);
  const reason =
    err instanceof ReleaseStopped ? err.message
    : laneStop !== undefined ? laneStop
    : aborted ? release.controls.abortReason!
    : isCancellation(err) ? 'the release was cancelled'
    : failureMessage(err);
  // One stopped before its turn in the lane changed nothing: it is turned away, not rolled back.
  const rejected = err instanceof ReleaseRejected || (laneStop !== undefined && !release.lane!.started);
  const outcome = await CancellationScope.nonCancellable(() => undoEverything(release, rejected, reason));
  if (isCancellation(err) && !aborted) throw err;
  return outcome;
}

async function undoEverything(release: ReleaseContext, rejected: boolean, reason: string): Promise<ReleaseOutcome> {
  const { slack } = release;
  release.enter(ReleaseStage.rollingBack, `rolling back: ${reason}`);
  const reports = await release.undo.runAll((r) => release.record(r.error ? `undo failed: ${r.description}: ${r.error}` : `undone: ${r.description}`));
  const failed = reports.filter((r) => r.error);
  const result = failed.length > 0 ? 'failed' : rejected ? 'rejected' : 'rolled-back';
  const finalReason = failed.length > 0 ? `${reason}; rollback incomplete: ${failed.map((f) => f.description).join('; ')}` : reason;
  await release.deployments.settleRollback(reason, new Set(failed.flatMap((r) => (r.environment ? [r.environment] : []))));
  await slack.settleForOutcome();
  release.finish(result, finalReason);
  await slack.finalUpdate(result === 'rejected' ? `Rejected: ${reason}` : `Rolled back: ${reason}`);
  const what = result === 'failed' ? 'stopped, and its rollback is incomplete' : result === 'rejected' ? 'was rejected' : 'was rolled back';
  slack.reply('replying in the Slack thread', `${release.requesterMention()} your release of ${release.input.service} ${release.shortVersion} ${what}: ${escapeMrkdwn(finalReason)}`);
  await slack.settle();
  if (release.markers.enabled) await release.markers.settle();
  return release.outcome();
}
