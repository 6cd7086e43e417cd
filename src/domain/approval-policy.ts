/**
 * Who may decide an approval, and when. Used by the approve/reject Update validators (and the
 * signal handlers), so the CLI, Slack and the Web UI all obey the same rules. The same people
 * operate the canary (pause / resume / promote / abort): src/domain/operator-controls.ts asks
 * `isApprover` and `selfApprovalRefusal` here rather than keeping a list of its own.
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

/** Someone acting on a release: the name they act under and, for a Slack click, where it came from. */
export interface Actor {
  by: string;
  /** The clicker's Slack user id (Slack clicks only). */
  slackUserId?: string;
  /** User groups the approvals server found the clicker in (usergroups.users.list). */
  groups?: string[];
}

export interface ApprovalAttempt extends Actor {
  requestedBy: string;
  stage: ReleaseStage;
  alreadyDecided: boolean;
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

/** The configured group the actor (a Slack clicker) belongs to, if any. */
export function matchedGroup(policy: ApprovalPolicy, actor: Pick<Actor, 'groups'>): string | undefined {
  return actor.groups?.find((g) => policy.groups?.includes(g));
}

/** Named in `approvers`, or a member of one of the configured `groups`. */
export function isApprover(policy: ApprovalPolicy, actor: Actor): boolean {
  return policy.approvers.includes(actor.by.trim()) || matchedGroup(policy, actor) !== undefined;
}

/** Allowed only as a member of a configured group, not by name in the approvers list. */
function onlyByGroup(policy: ApprovalPolicy, actor: Actor): boolean {
  return !policy.approvers.includes(actor.by.trim()) && matchedGroup(policy, actor) !== undefined;
}

function isRequester(policy: ApprovalPolicy, actor: Actor, requestedBy: string): boolean {
  if (actor.by.trim() === requestedBy) return true;
  return actor.slackUserId !== undefined && actor.slackUserId === policy.requesterSlackId;
}

/** Who the policy allows, for refusals: "alice, bob; members of S0DEPLOYERS", or "nobody". */
export function allowedApprovers(policy: ApprovalPolicy): string {
  const parts = [policy.approvers.join(', '), policy.groups?.length ? `members of ${policy.groups.join(', ')}` : ''];
  return parts.filter((p) => p !== '').join('; ') || 'nobody';
}

function notAnApprover(policy: ApprovalPolicy, who: string): string {
  return `${who} is not an allowed approver (allowed: ${allowedApprovers(policy)})`;
}

/**
 * Why the actor may not approve the release `requestedBy` asked for, when self-approval is not
 * allowed: they are the requester (by name or Slack id), or they are allowed only through a
 * group while the requester's Slack id is unknown. Undefined when nothing stands in the way.
 */
export function selfApprovalRefusal(policy: ApprovalPolicy, actor: Actor, requestedBy: string): string | undefined {
  if (policy.allowSelfApproval) return undefined;
  if (isRequester(policy, actor, requestedBy)) return `${actor.by.trim()} requested this release and self-approval is not allowed`;
  if (onlyByGroup(policy, actor) && policy.requesterSlackId === undefined) {
    // The group says "some member clicked"; without the requester's Slack id nothing says that
    // member is not the requester. A named approver is still told apart by name.
    return `the requester's Slack id is unknown, so approval by group membership cannot rule out self-approval (map ${requestedBy} to their Slack user id under \`people\` in the config)`;
  }
  return undefined;
}

/** Returns why an approval is refused, or undefined when it is allowed. */
export function approvalRefusal(policy: ApprovalPolicy, attempt: ApprovalAttempt): string | undefined {
  const who = attempt.by.trim();
  const refusal = timingRefusal(attempt);
  if (refusal) return refusal;
  if (!isApprover(policy, attempt)) return notAnApprover(policy, who);
  const self = selfApprovalRefusal(policy, attempt, attempt.requestedBy);
  if (self) return self;
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
  if (isApprover(policy, attempt) || isRequester(policy, attempt, attempt.requestedBy)) return undefined;
  return notAnApprover(policy, who);
}
