/**
 * Operator controls as Updates: the validator refuses what makes no sense now, or who may not
 * (the release's approval policy: approvers, their Slack groups, the self-approval rule), with
 * the reason; the handler proves the identity (./decision-proof.ts; a refused proof is recorded
 * and changes nothing), judges the policy again with the proven identity, then records who and
 * why and flips the flags the release process watches.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { Actor, ApprovalPolicy } from '../../src/domain/approval-policy';
import { controlRefusal, type OperatorAction } from '../../src/domain/operator-controls';
import type { ReleaseState } from '../../src/domain/release-state';
import { type ControlAck, type ControlRequest, controlUpdates } from '../../src/domain/release-api';
import { DECISION_REFUSED, decisionRefusal, type DecisionProver } from './decision-proof';

export interface Controls {
  /** Set once a promote or abort has been accepted. */
  pending?: 'promote' | 'abort';
  abortReason?: string;
}

export function registerControlHandlers(
  state: ReleaseState,
  policy: ApprovalPolicy,
  requestedBy: string,
  controls: Controls,
  onAbort: () => void,
  prover: DecisionProver,
): void {
  for (const action of Object.keys(controlUpdates) as OperatorAction[]) {
    const refusalOf = ({ by, slackUserId, groups }: Actor): string | undefined =>
      controlRefusal(action, { by: by ?? '', requestedBy, slackUserId, groups }, policy, {
        stage: state.stage,
        paused: state.paused,
        held: state.snapshot().canary.awaitingDecision !== undefined,
        pending: controls.pending,
        analysisFailing: state.latestVerdict === 'fail',
      });
    const apply = (by: string, reason: string | undefined): ControlAck => {
      const who = by.trim();
      state.control(action, who, reason, new Date());
      if (action === 'promote') controls.pending = 'promote';
      if (action === 'abort') {
        controls.pending = 'abort';
        controls.abortReason = `aborted by ${who}${reason ? `: ${reason}` : ''}`;
        onAbort();
      }
      return { releaseId: state.snapshot().releaseId, action, by: who };
    };
    setHandler(
      controlUpdates[action],
      async (request: ControlRequest): Promise<ControlAck> => {
        if (!prover.enabled()) return apply(request.by, request.reason);
        const result = await prover.prove(action, request, request.reason);
        if ('refused' in result) {
          state.record(`${action} attempt by ${(request.by ?? '').trim() || '(unknown)'} refused: ${result.refused}`, new Date());
          throw decisionRefusal(action, result.refused);
        }
        // Judged again with the proven identity: the release may also have moved on meanwhile.
        const refusal = refusalOf(result.actor);
        if (refusal) throw ApplicationFailure.nonRetryable(`${action} refused: ${refusal}`, DECISION_REFUSED);
        return apply(result.actor.by, request.reason);
      },
      {
        validator: (request) => {
          const refusal = refusalOf({ ...request, by: typeof request?.by === 'string' ? request.by : '' });
          if (refusal) throw new Error(`${action} refused: ${refusal}`);
        },
      },
    );
  }
}
