/**
 * Approve / reject handlers. Updates answer their caller (a refused approver gets the reason and
 * the release keeps waiting); signals cannot answer, so a refused signal is recorded in the status.
 */
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { approvalRefusal, type ApprovalPolicy, rejectionRefusal } from '../src/domain/approval-policy';
import type { ReleaseState } from '../src/domain/release-state';
import {
  approveSignal,
  approveUpdate,
  approverSearchAttribute,
  type DecisionAck,
  rejectSignal,
  rejectUpdate,
} from '../src/messages';

export function registerApprovalHandlers(state: ReleaseState, policy: ApprovalPolicy, requestedBy: string): void {
  const attempt = (by: string) => ({ by, requestedBy, stage: state.stage, alreadyDecided: state.isDecided });

  const decide = (decision: 'approved' | 'rejected', by: string, note: string | undefined): DecisionAck => {
    state.decide(decision, by.trim(), note, new Date());
    upsertSearchAttributes([{ key: approverSearchAttribute, value: by.trim() }]);
    return { releaseId: state.snapshot().releaseId, decision, by: by.trim() };
  };

  setHandler(approveUpdate, ({ by, comment }) => decide('approved', by, comment), {
    validator: ({ by }) => {
      const refusal = approvalRefusal(policy, attempt(by ?? ''));
      if (refusal) throw new Error(`approval refused: ${refusal}`);
    },
  });
  setHandler(rejectUpdate, ({ by, reason }) => decide('rejected', by, reason), {
    validator: ({ by }) => {
      const refusal = rejectionRefusal(policy, attempt(by ?? ''));
      if (refusal) throw new Error(`rejection refused: ${refusal}`);
    },
  });

  setHandler(approveSignal, ({ by, comment }) => {
    const refusal = approvalRefusal(policy, attempt(by ?? ''));
    if (refusal) state.refuse(by ?? '', refusal, new Date());
    else decide('approved', by, comment);
  });
  setHandler(rejectSignal, ({ by, reason }) => {
    const refusal = rejectionRefusal(policy, attempt(by ?? ''));
    if (refusal) state.refuse(by ?? '', refusal, new Date());
    else decide('rejected', by, reason);
  });
}
