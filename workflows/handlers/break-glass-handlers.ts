/**
 * The break-glass Update: approvers let a `--break-glass` release through a freeze at its
 * production gate, under the release's approval policy, counting distinct approvers up to
 * `freeze.breakGlass.required`. Refusals answer the caller and are recorded in the history.
 * Every check is `checkBreakGlass` (one place for a future proof verification).
 */
import { setHandler } from '@temporalio/workflow';
import { type ApprovalPolicy, matchedGroup } from '../../src/domain/approval-policy';
import { breakGlassRefusal } from '../../src/domain/break-glass';
import { type BreakGlassAck, breakGlassApproveUpdate, type BreakGlassRequest } from '../../src/domain/freeze-api';
import type { ReleaseInput } from '../../src/domain/release';
import type { ReleaseState } from '../../src/domain/release-state';

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

export function registerBreakGlassHandlers(state: ReleaseState, policy: ApprovalPolicy, input: ReleaseInput, approved: (by: string, pending: number) => void): void {
  setHandler(
    breakGlassApproveUpdate,
    (request): BreakGlassAck => {
      const by = request.by.trim();
      const pending = state.addBreakGlassApproval(by, request.comment, matchedGroup(policy, request), new Date());
      approved(by, pending);
      return { releaseId: state.snapshot().releaseId, by, pending };
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
