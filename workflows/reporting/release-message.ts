/**
 * The Slack message's content from the release's status: headline, recent history, who
 * approved, each canary step with the numbers it was judged on, the signal that failed, and the
 * Resume / Promote / Roll back buttons while analysis holds the canary for a human. The buttons
 * follow the status, so the first update after the hold ends (resumed, promoted, rolled back or
 * timed out) no longer has them. Once a release is released, its message (the final update) carries
 * a Roll back button: a rollback of the finished release, which the approvals server starts.
 */
import type { CanaryRow, ReleaseMessage } from '../../src/slack/release-message';
import { type ReleaseInput, ReleaseStage, type ReleaseStatus } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';

function canaryRows(s: ReleaseStatus): CanaryRow[] {
  const rows: CanaryRow[] = [];
  for (let step = 1; step <= s.canary.step && step <= s.canary.steps.length; step++) {
    const latest = s.canary.analysis?.find((a) => a.step === step)?.measurements.at(-1);
    const current = step === s.canary.step && s.stage === 'canary';
    const verdict: CanaryRow['verdict'] = current && s.paused ? 'paused' : latest ? latest.verdict : current ? 'baking' : 'pass';
    rows.push({
      step,
      weight: s.canary.steps[step - 1]!,
      ...(step === s.canary.step ? { actualWeight: s.canary.actualWeight } : {}),
      verdict,
      errorRate: latest?.errorRate,
      canaryP99Ms: latest?.p99Ms,
      stableP99Ms: latest?.stableP99Ms,
      requests: latest?.requests,
    });
  }
  return rows;
}

export function releaseMessageOf(
  s: ReleaseStatus,
  input: ReleaseInput,
  headline: string,
  withButtons: boolean,
): Omit<ReleaseMessage, 'repo'> {
  const failure = s.canary.failure?.[0];
  const held = (s.stage === 'canary' || s.stage === 'verifying') && s.canary.awaitingDecision !== undefined;
  // A release's message only: a rollback's workflow reports through the same context, and its
  // status ends released too, but rolling back a rollback is `runway rollback --to`'s job.
  const released = s.stage === ReleaseStage.released && s.releaseId === releaseId(input.service, input.version);
  return {
    releaseId: s.releaseId,
    service: input.service,
    version: input.version,
    requestedBy: input.requestedBy,
    reason: input.reason,
    headline,
    lines: s.history.slice(-8).map((e) => e.message),
    withButtons,
    ...(held ? { withCanaryButtons: true } : {}),
    ...(released ? { withRollbackButton: true } : {}),
    ...(s.approval.decision === 'approved' ? { approvedBy: s.approval.by } : {}),
    ...(s.canary.step > 0 ? { canary: canaryRows(s) } : {}),
    ...(failure ? { failure } : {}),
  };
}
