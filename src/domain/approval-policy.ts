/**
 * Who may decide an approval, and when. Used by the approve/reject Update validators (and the
 * signal handlers), so the CLI, Slack and the Web UI all obey the same rules.
 */
import { ReleaseStage } from './release';

export interface ApprovalPolicy {
  approvers: string[];
  allowSelfApproval: boolean;
}

export interface ApprovalAttempt {
  by: string;
  requestedBy: string;
  stage: ReleaseStage;
  alreadyDecided: boolean;
}

function timingRefusal(attempt: ApprovalAttempt): string | undefined {
  if (!attempt.by.trim()) return 'an approver identity is required';
  if (attempt.alreadyDecided) return 'this release has already been decided';
  if (attempt.stage !== ReleaseStage.awaitingApproval) {
    return `the release is not awaiting approval (stage: ${attempt.stage})`;
  }
  return undefined;
}

function notAnApprover(policy: ApprovalPolicy, who: string): string {
  return `${who} is not an allowed approver (allowed: ${policy.approvers.join(', ') || 'nobody'})`;
}

/** Returns why an approval is refused, or undefined when it is allowed. */
export function approvalRefusal(policy: ApprovalPolicy, attempt: ApprovalAttempt): string | undefined {
  const who = attempt.by.trim();
  const refusal = timingRefusal(attempt);
  if (refusal) return refusal;
  if (!policy.approvers.includes(who)) return notAnApprover(policy, who);
  if (!policy.allowSelfApproval && who === attempt.requestedBy) {
    return `${who} requested this release and self-approval is not allowed`;
  }
  return undefined;
}

/** Approvers may reject; the requester may always withdraw their own release. */
export function rejectionRefusal(policy: ApprovalPolicy, attempt: ApprovalAttempt): string | undefined {
  const who = attempt.by.trim();
  const refusal = timingRefusal(attempt);
  if (refusal) return refusal;
  if (policy.approvers.includes(who) || who === attempt.requestedBy) return undefined;
  return notAnApprover(policy, who);
}
