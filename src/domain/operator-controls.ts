/**
 * Operator controls of a running release: pause / resume / promote / abort. Who may use them
 * and when, as pure rules the Update validators call. Deterministic: imported by workflow code.
 *
 * Who: the release's approval policy (src/domain/approval-policy.ts), nothing of its own: the
 * people named in `approvers` and the members of its Slack user `groups`, whether they act from
 * the CLI or from the buttons of a held canary in Slack. Promoting, and resuming a canary that
 * analysis has held for a human, are decisions the analysis did not make: they are approvals of
 * what it could not show, so with self-approval not allowed the requester may not make them (and,
 * as for an approval, a group member may not while the requester's Slack id is unknown). Pause,
 * abort and resuming an operator's pause only operate the release; any approver may use them on
 * any release, their own included.
 */
import { type Actor, allowedApprovers, type ApprovalPolicy, isApprover, selfApprovalRefusal } from './approval-policy';
import { isTerminalStage, ReleaseStage } from './release';

export const OperatorAction = {
  pause: 'pause',
  resume: 'resume',
  promote: 'promote',
  abort: 'abort',
} as const;
export type OperatorAction = (typeof OperatorAction)[keyof typeof OperatorAction];

/** Who asks for a control, and who requested the release it is for. */
export interface ControlAttempt extends Actor {
  requestedBy: string;
}

export interface ControlState {
  stage: ReleaseStage;
  paused: boolean;
  /** Analysis has held the canary and waits for a human decision (not merely an operator's pause). */
  held?: boolean;
  /** A promotion or abort already asked for; the release is on its way. */
  pending?: 'promote' | 'abort';
  /** The latest canary measurement failed: promoting now would ship what analysis is flagging. */
  analysisFailing?: boolean;
}

/** Returns why `action` by `attempt.by` is refused now, or undefined when it is allowed. */
export function controlRefusal(action: OperatorAction, attempt: ControlAttempt, policy: ApprovalPolicy, s: ControlState): string | undefined {
  const who = attempt.by.trim();
  if (!who) return 'an operator identity is required (--as)';
  if (!isApprover(policy, attempt)) return `${who} may not ${action} releases (allowed: ${allowedApprovers(policy)})`;
  const refusal = stageRefusal(action, s);
  if (refusal) return refusal;
  if (action === 'promote' || (action === 'resume' && s.held)) {
    const self = selfApprovalRefusal(policy, attempt, attempt.requestedBy);
    if (self) return `${self} (${action === 'promote' ? 'promoting' : 'resuming a held canary'} counts as approving)`;
  }
  return undefined;
}

/** Why `action` makes no sense at the release's current point, whoever asks. */
function stageRefusal(action: OperatorAction, s: ControlState): string | undefined {
  if (s.pending === 'abort') return 'an abort is already under way';
  // Abort stays possible during a promotion: it is the emergency brake.
  if (s.pending === 'promote' && action !== 'abort') return 'a promote is already under way';
  switch (action) {
    case 'pause':
      if (s.stage !== ReleaseStage.canary) return `only a canary can be paused (stage: ${s.stage})`;
      return s.paused ? 'the canary is already paused' : undefined;
    case 'resume':
      return s.paused ? undefined : `the release is not paused (stage: ${s.stage})`;
    case 'promote':
      // Promoting during the post-release watch ends the watch early: the release is called released.
      if (s.stage !== ReleaseStage.canary && s.stage !== ReleaseStage.verifying) return `only a canary or the post-release watch can be promoted (stage: ${s.stage})`;
      return s.analysisFailing ? 'the latest canary measurement failed; promote once analysis passes, or abort' : undefined;
    case 'abort':
      if (isTerminalStage(s.stage) || s.stage === ReleaseStage.rollingBack) return `the release is already ${s.stage}`;
      if (s.stage === ReleaseStage.queued) return 'the release has not started yet';
      return undefined;
  }
}
