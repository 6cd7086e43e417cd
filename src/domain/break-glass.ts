/**
 * Who may approve a break-glass release past a freeze: the release's approval policy
 * (src/domain/approval-policy.ts: approvers or groups, no self-approval) counting distinct
 * approvers up to `freeze.breakGlass.required`, only while a break-glass release is frozen at its gate.
 *
 * One function judges a break-glass approval (`breakGlassRefusal`), so a proof check (issue 18
 * part 3) can be added there for every caller.
 */
import { type Actor, type ApprovalPolicy, allowedApprovers, isApprover, selfApprovalRefusal } from './approval-policy';

export interface BreakGlassAttempt extends Actor {
  requestedBy: string;
  /** The release was started with --break-glass. */
  breakGlass: boolean;
  /** The release is held at its gate now. */
  frozen: boolean;
  approvedBy: string[];
  required: number;
}

/** Why this break-glass approval is refused, or undefined when it counts. */
export function breakGlassRefusal(policy: ApprovalPolicy, attempt: BreakGlassAttempt): string | undefined {
  const who = attempt.by.trim();
  if (!who) return 'an approver identity is required';
  if (!attempt.breakGlass) return 'this release was not started with --break-glass';
  if (!attempt.frozen) return 'the release is not held by a freeze at its production gate';
  if (!isApprover(policy, attempt)) return `${who} is not an allowed approver (allowed: ${allowedApprovers(policy)})`;
  const self = selfApprovalRefusal(policy, attempt, attempt.requestedBy);
  if (self) return self;
  if (attempt.approvedBy.includes(who)) {
    return `${who} has already approved breaking the freeze; ${attempt.required - attempt.approvedBy.length} more approval(s) from someone else are needed`;
  }
  return undefined;
}
