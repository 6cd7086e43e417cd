/**
 * What canary bakes and the post-release watch share: running one analysis window (a
 * heartbeating activity that measures every interval) that a pause, a promote or a hold can cut
 * short, and holding the release for a human when analysis cannot judge.
 */
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { BakeReport } from '../../activities/canary-analysis';
import { escapeMrkdwn } from '../../src/slack/escape';
import type { ReleaseContext } from '../release-context';

export interface WindowOutcome {
  report: BakeReport;
  /** Workflow time the window ran before it ended or was cut short. */
  elapsedMs: number;
}

/**
 * Runs one window. A pause or a promote cancels it, and it hands back what it measured so far
 * (marked interrupted); paused time is not part of `elapsedMs`.
 */
export async function runAnalysisWindow(release: ReleaseContext, start: () => Promise<BakeReport>): Promise<WindowOutcome> {
  const { state, controls } = release;
  const startedAt = Date.now();
  const window = new CancellationScope();
  let settled = false;
  const reportPromise = window.run(start);
  reportPromise.then(
    () => (settled = true),
    () => (settled = true),
  );
  // A function of `controls`, not a value read once: Update handlers change it between awaits.
  await condition(() => settled || state.paused || controls.pending === 'promote');
  const elapsedMs = Date.now() - startedAt;
  if (!settled) window.cancel();
  return { report: await windowReport(release, reportPromise), elapsedMs };
}

/**
 * A window cancelled before it reached a worker (a pause in the same instant it was scheduled)
 * ends as a cancellation rather than a report: that is an interrupted window with no
 * measurements, unless the whole forward path is being cancelled.
 */
async function windowReport(release: ReleaseContext, report: Promise<BakeReport>): Promise<BakeReport> {
  try {
    return await report;
  } catch (err) {
    if (!isCancellation(err) || release.forward.consideredCancelled) throw err;
    return { results: [], decision: { action: 'continue' }, interrupted: true };
  }
}

export interface HumanHold {
  /** The Slack headline's subject: "Canary held at 10%", "Post-release watch held". */
  headline: string;
  /** What the thread reply says is held: "the checkout canary is held at 10%". */
  held: string;
  reason: string;
  timeoutMs: number;
}

/**
 * Analysis cannot judge: holds the release (the status, the Web UI, and the Slack message with
 * Resume / Promote / Roll back buttons), asks the approvers in the thread, and waits for a
 * decision. Resolves 'resumed' or 'promoted'; undefined when nobody decided in time. An abort
 * cancels the forward path and so never resolves here.
 */
export async function holdForHuman(release: ReleaseContext, hold: HumanHold): Promise<'resumed' | 'promoted' | undefined> {
  const { state, controls } = release;
  state.askHuman(hold.reason, release.now());
  release.showDetails();
  release.slack.update(`${hold.headline}: analysis is inconclusive, a human must decide`);
  release.slack.reply(
    'asking for a decision in Slack',
    `${release.approverMentions()} ${hold.held}: ${escapeMrkdwn(hold.reason)}. Decide with the Resume / Promote / Roll back buttons on the message, or \`runway resume|promote|abort ${release.releaseId}\`.`,
  );
  const decided = await condition(() => !state.paused || controls.pending === 'promote', hold.timeoutMs);
  if (!decided) return undefined;
  const outcome = controls.pending === 'promote' ? 'promoted' : 'resumed';
  // The hold is over: redraw the message without its buttons.
  const by = state.snapshot().controls?.at(-1)?.by;
  release.slack.update(`${hold.headline}: ${outcome}${by ? ` by ${by}` : ''}`);
  return outcome;
}
