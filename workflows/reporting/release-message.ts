/**
 * The Slack message's content from the release's status: headline, recent history, who
 * approved, each canary step with the numbers it was judged on, the signal that failed, and the
 * Resume / Promote / Roll back buttons while analysis holds the canary for a human. The buttons
 * follow the status, so the first update after the hold ends (resumed, promoted, rolled back or
 * timed out) no longer has them.
 */
import type { CanaryRow, ReleaseMessage } from '../../src/slack/release-message';
import type { ReleaseInput, ReleaseStatus } from '../../src/domain/release';

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
    ...(s.approval.decision === 'approved' ? { approvedBy: s.approval.by } : {}),
    ...(s.canary.step > 0 ? { canary: canaryRows(s) } : {}),
    ...(failure ? { failure } : {}),
  };
}
