/**
 * The break-glass Update: approvers let a `--break-glass` release through a freeze at its
 * production gate, under the release's approval policy, counting distinct approvers up to
 * `freeze.breakGlass.required`. Every check of the request is `checkBreakGlass`.
 *
 * Proven like an approval (handlers/decision-proof.ts): under `patched('proven-break-glass')` the
 * approver's identity is the proven one (an SSH-signed `runway break-glass approve --sign-with`,
 * or trusted as named on a worker with no keys), and a refusal of the proof is recorded in the
 * history. Histories from before replay the synchronous path they recorded.
 */
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { type ApprovalPolicy, matchedGroup } from '../../src/domain/approval-policy';
import { breakGlassRefusal } from '../../src/domain/break-glass';
import { type BreakGlassAck, breakGlassApproveUpdate, type BreakGlassRequest } from '../../src/domain/freeze-api';
import type { ReleaseInput } from '../../src/domain/release';
import type { ReleaseState } from '../../src/domain/release-state';
import { DECISION_REFUSED, decisionRefusal, type DecisionProver } from './decision-proof';

export const PROVEN_BREAK_GLASS_PATCH = 'proven-break-glass';

/** Why a break-glass approval is refused now, or undefined: the one check the Update's validator makes. */
export function checkBreakGlass(state: ReleaseState, policy: ApprovalPolicy, input: ReleaseInput, request: BreakGlassRequest): string | undefined {
  const record = state.freeze?.breakGlass;
  return breakGlassRefusal(policy, {
    by: request.by ?? '',
    slackUserId: request.slackUserId,
    groups: request.groups,
    requestedBy: input.requestedBy,
    breakGlass: input.breakGlass !== undefined,
    frozen: state.freeze?.holding === true && state.stage === 'frozen',
    approvedBy: (record?.approvals ?? []).map((a) => a.by),
    required: record?.required ?? input.plan.freeze?.breakGlassRequired ?? 2,
  });
}

export function registerBreakGlassHandlers(
  state: ReleaseState,
  policy: ApprovalPolicy,
  input: ReleaseInput,
  approved: (by: string, pending: number) => void,
  prover: DecisionProver,
): void {
  const approve = (request: BreakGlassRequest): BreakGlassAck => {
    const by = request.by.trim();
    const pending = state.addBreakGlassApproval(by, request.comment, matchedGroup(policy, request), new Date());
    approved(by, pending);
    return { releaseId: state.snapshot().releaseId, by, pending };
  };
  setHandler(
    breakGlassApproveUpdate,
    async (request): Promise<BreakGlassAck> => {
      // Checked first, before any await, so the old path changes state in the same turn as it did.
      if (!patched(PROVEN_BREAK_GLASS_PATCH)) return approve(request);
      const result = await prover.prove('break-glass', request, request.comment);
      if ('refused' in result) {
        state.refuse(request.by ?? '', result.refused, new Date());
        throw decisionRefusal('break-glass approval', result.refused);
      }
      const proven: BreakGlassRequest = { ...result.actor, ...(request.comment ? { comment: request.comment } : {}) };
      // Judged again with the proven identity: the release may also have moved on meanwhile.
      const refusal = checkBreakGlass(state, policy, input, proven);
      if (refusal) throw ApplicationFailure.nonRetryable(`break-glass approval refused: ${refusal}`, DECISION_REFUSED);
      return approve(proven);
    },
    {
      validator: (request) => {
        const refusal = checkBreakGlass(state, policy, input, request);
        if (refusal) {
          throw new Error(`break-glass approval refused: ${refusal}`);
        }
      },
    },
  );
}
