/**
 * Operator controls as Updates: the validator refuses what makes no sense now (with the
 * reason), the handler records who and why and flips the flags the release process watches.
 */
import { setHandler } from '@temporalio/workflow';
import { controlRefusal, type OperatorAction } from '../../src/domain/operator-controls';
import type { ReleaseState } from '../../src/domain/release-state';
import { type ControlAck, controlUpdates } from '../../src/domain/release-api';

export interface Controls {
  /** Set once a promote or abort has been accepted. */
  pending?: 'promote' | 'abort';
  abortReason?: string;
}

export function registerControlHandlers(state: ReleaseState, operators: string[], controls: Controls, onAbort: () => void): void {
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
        validator: ({ by }) => {
          const refusal = controlRefusal(action, by ?? '', operators, {
            stage: state.stage,
            paused: state.paused,
            pending: controls.pending,
            analysisFailing: state.latestVerdict === 'fail',
          });
          if (refusal) throw new Error(`${action} refused: ${refusal}`);
        },
      },
    );
  }
}
