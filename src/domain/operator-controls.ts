/**
 * Operator controls of a running release: pause / resume / promote / abort. Who may use them
 * and when, as pure rules the Update validators call. Deterministic: imported by workflow code.
 */
import { isTerminalStage, ReleaseStage } from './release';

export const OperatorAction = {
  pause: 'pause',
  resume: 'resume',
  promote: 'promote',
  abort: 'abort',
} as const;
export type OperatorAction = (typeof OperatorAction)[keyof typeof OperatorAction];

export interface ControlState {
  stage: ReleaseStage;
  paused: boolean;
  /** A promotion or abort already asked for; the release is on its way. */
  pending?: 'promote' | 'abort';
  /** The latest canary measurement failed: promoting now would ship what analysis is flagging. */
  analysisFailing?: boolean;
}

/** Returns why `action` by `by` is refused now, or undefined when it is allowed. */
export function controlRefusal(action: OperatorAction, by: string, operators: string[], s: ControlState): string | undefined {
  const who = by.trim();
  if (!who) return 'an operator identity is required (--as)';
  if (!operators.includes(who)) return `${who} may not ${action} releases (allowed: ${operators.join(', ') || 'nobody'})`;
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
      if (s.stage !== ReleaseStage.canary) return `only a canary can be promoted (stage: ${s.stage})`;
      return s.analysisFailing ? 'the latest canary measurement failed; promote once analysis passes, or abort' : undefined;
    case 'abort':
      if (isTerminalStage(s.stage) || s.stage === ReleaseStage.rollingBack) return `the release is already ${s.stage}`;
      if (s.stage === ReleaseStage.queued) return 'the release has not started yet';
      return undefined;
  }
}
