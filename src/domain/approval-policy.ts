/**
 * Who may decide an approval, and when. Used by the approve/reject Update validators (and the
 * signal handlers), so the CLI, Slack and the Web UI all obey the same rules.
 */
import { ReleaseStage } from './release';

export interface ApprovalPolicy {
  approvers: string[];
  allowSelfApproval: boolean;
  /** Slack user groups (S…) whose members may approve too. @default none */
  groups?: string[];
  /** Distinct approvers needed before the release goes on. @default 1 */
  requiredApprovals?: number;
  /** The requester's Slack user id: a click by them is self-approval whatever name it maps to. */
  requesterSlackId?: string;
}

export interface ApprovalAttempt {
  by: string;
  requestedBy: string;
  stage: ReleaseStage;
  alreadyDecided: boolean;
  /** The clicker's Slack user id (Slack clicks only). */
  slackUserId?: string;
  /** User groups the approvals server found the clicker in (usergroups.users.list). */
  groups?: string[];
  /** Who already approved, when several approvals are required. */
  approvedBy?: string[];
}

export function requiredApprovals(policy: ApprovalPolicy): number {
  return Math.max(1, policy.requiredApprovals ?? 1);
}

function timingRefusal(attempt: ApprovalAttempt): string | undefined {
  if (!attempt.by.trim()) return 'an approver identity is required';
  if (attempt.alreadyDecided) return 'this release has already been decided';
  if (attempt.stage !== ReleaseStage.awaitingApproval) {
    return `the release is not awaiting approval (stage: ${attempt.stage})`;
  }
  return undefined;
}

/** The configured group the attempt's clicker belongs to, if any. */
export function matchedGroup(policy: ApprovalPolicy, attempt: Pick<ApprovalAttempt, 'groups'>): string | undefined {
  return attempt.groups?.find((g) => policy.groups?.includes(g));
}

function isApprover(policy: ApprovalPolicy, attempt: ApprovalAttempt): boolean {
  return policy.approvers.includes(attempt.by.trim()) || matchedGroup(policy, attempt) !== undefined;
}

/** Allowed only as a member of a configured group, not by name in the approvers list. */
function onlyByGroup(policy: ApprovalPolicy, attempt: ApprovalAttempt): boolean {
  return !policy.approvers.includes(attempt.by.trim()) && matchedGroup(policy, attempt) !== undefined;
}

function isRequester(policy: ApprovalPolicy, attempt: ApprovalAttempt): boolean {
  if (attempt.by.trim() === attempt.requestedBy) return true;
  return attempt.slackUserId !== undefined && attempt.slackUserId === policy.requesterSlackId;
}

function notAnApprover(policy: ApprovalPolicy, who: string): string {
  const groups = policy.groups?.length ? `; members of ${policy.groups.join(', ')}` : '';
  return `${who} is not an allowed approver (allowed: ${policy.approvers.join(', ') || 'nobody'}${groups})`;
}

/** Returns why an approval is refused, or undefined when it is allowed. */
export function approvalRefusal(policy: ApprovalPolicy, attempt: ApprovalAttempt): string | undefined {
  const who = attempt.by.trim();
  const refusal = timingRefusal(attempt);
  if (refusal) return refusal;
  if (!isApprover(policy, attempt)) return notAnApprover(policy, who);
  if (!policy.allowSelfApproval && isRequester(policy, attempt)) {
    return `${who} requested this release and self-approval is not allowed`;
  }
  if (!policy.allowSelfApproval && onlyByGroup(policy, attempt) && policy.requesterSlackId === undefined) {
    // The group says "some member clicked"; without the requester's Slack id nothing says that
    // member is not the requester. A named approver is still told apart by name.
    return `the requester's Slack id is unknown, so approval by group membership cannot rule out self-approval (map ${attempt.requestedBy} to their Slack user id under \`people\` in the config)`;
  }
  if (attempt.approvedBy?.includes(who)) {
    const left = requiredApprovals(policy) - attempt.approvedBy.length;
    return `${who} has already approved; ${left} more approval(s) from someone else are needed`;
  }
  return undefined;
}

/** Approvers may reject; the requester may always withdraw their own release. */
export function rejectionRefusal(policy: ApprovalPolicy, attempt: ApprovalAttempt): string | undefined {
  const who = attempt.by.trim();
  const refusal = timingRefusal(attempt);
  if (refusal) return refusal;
  if (isApprover(policy, attempt) || isRequester(policy, attempt)) return undefined;
  return notAnApprover(policy, who);
}
