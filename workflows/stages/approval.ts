/**
 * Stage 4, approval: a person decides, through Slack, the CLI or a signal (the handlers enforce
 * the policy); silence until the timeout rejects. The request is posted without waiting for
 * Slack, so a decision from the CLI is never held up by a slow or failing Slack; the approvers
 * are reminded in the thread once; each of several required approvals shows as it arrives.
 */
import { condition } from '@temporalio/workflow';
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import { ReleaseRejected } from '../release-stopped';

export async function awaitApproval(release: ReleaseContext): Promise<void> {
  const { plan, state, slack } = release;
  const approvers = [...plan.approval.approvers, ...(plan.approval.groups ?? []).map((g) => `members of ${g}`)];
  release.enter(ReleaseStage.awaitingApproval, `waiting for approval from ${approvers.join(', ')}`);
  const decided = await awaitDecision(release);
  // A decision in the same instant as the timeout stands.
  if (!decided && !state.isDecided) state.decide('rejected', 'runway', `no decision within ${Math.round(plan.approval.timeoutMs / 1000)} s`, release.now());
  if (state.approval.decision === 'rejected') throw new ReleaseRejected(state.approval.comment ?? `rejected by ${state.approval.by}`);
  // Past this point no newer commit supersedes the release; the lane refuses when it already has.
  if (release.lane) await release.lane.passApproval();
  slack.update(`Approved by ${state.approval.by}`);
  release.markers.approved();
}

/** Posts the request, reminds once if configured, and waits for a decision until the approval timeout. */
async function awaitDecision(release: ReleaseContext): Promise<boolean> {
  const { plan, state, slack } = release;
  slack.startPosting();
  const { timeoutMs, reminderMs } = plan.approval;
  const deadline = Date.now() + timeoutMs;
  if (reminderMs === undefined || reminderMs >= timeoutMs) return decidedBy(release, deadline);
  if (await decidedBy(release, Date.now() + reminderMs)) return true;
  // The reminder goes in the message's thread: wait for the post, unless a decision comes first.
  await condition(() => state.isDecided || slack.settled, deadline - Date.now());
  if (!state.isDecided) remindApprovers(release);
  return decidedBy(release, deadline);
}

/** Waits until the approval is decided or `untilMs` (workflow time) passes, showing each partial approval in Slack. */
async function decidedBy(release: ReleaseContext, untilMs: number): Promise<boolean> {
  const { state, slack } = release;
  while (!state.isDecided) {
    const left = untilMs - Date.now();
    if (left <= 0) return false;
    const seen = state.approvedBy.length;
    const changed = await condition(() => state.isDecided || state.approvedBy.length !== seen, left);
    if (!changed) return false;
    if (!state.isDecided) slack.update(`Approved by ${state.approvedBy.join(', ')}; waiting for more approvals`);
  }
  return true;
}

function remindApprovers(release: ReleaseContext): void {
  if (!release.slack.canReply) return;
  release.slack.reply(
    'posting the approval reminder',
    `Reminder: ${release.input.service} ${release.shortVersion} is still waiting for approval (${release.approverMentions()}).`,
  );
  release.record('reminded the approvers in Slack');
}
