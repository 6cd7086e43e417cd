/**
 * Operator controls as Updates: the validator refuses what makes no sense now, or who may not
 * (the release's approval policy: approvers, their Slack groups, the self-approval rule), with
 * the reason; the handler records who and why and flips the flags the release process watches.
 */
import { setHandler } from '@temporalio/workflow';
import type { ApprovalPolicy } from '../../src/domain/approval-policy';
import { controlRefusal, type OperatorAction } from '../../src/domain/operator-controls';
import type { ReleaseState } from '../../src/domain/release-state';
import { type ControlAck, controlUpdates } from '../../src/domain/release-api';

export interface Controls {
  /** Set once a promote or abort has been accepted. */
  pending?: 'promote' | 'abort';
  abortReason?: string;
}

export function registerControlHandlers(state: ReleaseState, policy: ApprovalPolicy, requestedBy: string, controls: Controls, onAbort: () => void): void {
  for (const action of Object.keys(controlUpdates) as OperatorAction[]) {
    setHandler(
      controlUpdates[action],
      ({ by, reason }): ControlAck => {
        const who = by.trim();
        state.control(action, who, reason, new Date());
        if (action === 'promote') controls.pending = 'promote';
        if (action === 'abort') {
          controls.pending = 'abort';
          controls.abortReason = `aborted by ${who}${reason ? `: ${reason}` : ''}`;
          onAbort();
        }
        return { releaseId: state.snapshot().releaseId, action, by: who };
      },
      {
        validator: ({ by, slackUserId, groups }) => {
          const attempt = { by: by ?? '', requestedBy, slackUserId, groups };
          const refusal = controlRefusal(action, attempt, policy, {
            stage: state.stage,
            paused: state.paused,
            held: state.snapshot().canary.awaitingDecision !== undefined,
            pending: controls.pending,
            analysisFailing: state.latestVerdict === 'fail',
          });
          if (refusal) throw new Error(`${action} refused: ${refusal}`);
        },
      },
    );
  }
}
