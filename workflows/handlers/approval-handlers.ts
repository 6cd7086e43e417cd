/**
 * Approve / reject handlers. Updates answer their caller (a refused approver gets the reason and
 * the release keeps waiting); signals cannot answer, so a refused signal is recorded in the status.
 * With several approvals required, each approval is recorded and the last one decides.
 */
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { approvalRefusal, type ApprovalPolicy, matchedGroup, rejectionRefusal, requiredApprovals } from '../../src/domain/approval-policy';
import type { ReleaseState } from '../../src/domain/release-state';
import {
  approveSignal,
  approveUpdate,
  type ApproveRequest,
  approverSearchAttribute,
  type DecisionAck,
  rejectSignal,
  rejectUpdate,
  type SlackOrigin,
} from '../../src/domain/release-api';

export function registerApprovalHandlers(state: ReleaseState, policy: ApprovalPolicy, requestedBy: string): void {
  const required = requiredApprovals(policy);
  const attempt = (by: string, origin: SlackOrigin) => ({
    by,
    requestedBy,
    stage: state.stage,
    alreadyDecided: state.isDecided,
    slackUserId: origin.slackUserId,
    groups: origin.groups,
    approvedBy: state.approvedBy,
  });

  const decide = (decision: 'approved' | 'rejected', by: string, note: string | undefined): DecisionAck => {
    state.decide(decision, by.trim(), note, new Date());
    upsertSearchAttributes([{ key: approverSearchAttribute, value: by.trim() }]);
    return { releaseId: state.snapshot().releaseId, decision, by: by.trim() };
  };

  const approve = (request: ApproveRequest): DecisionAck => {
    // One approval decides at once, exactly as releases recorded before N-approvals existed.
    if (required === 1) return decide('approved', request.by, request.comment);
    const by = request.by.trim();
    const pending = state.addApproval(by, request.comment, matchedGroup(policy, request), required, new Date());
    if (pending === 0) upsertSearchAttributes([{ key: approverSearchAttribute, value: state.approval.by! }]);
    return { releaseId: state.snapshot().releaseId, decision: 'approved', by, ...(pending > 0 ? { pending } : {}) };
  };

  setHandler(approveUpdate, approve, {
    validator: (request) => {
      const refusal = approvalRefusal(policy, attempt(request.by ?? '', request));
      if (refusal) throw new Error(`approval refused: ${refusal}`);
    },
  });
  setHandler(rejectUpdate, ({ by, reason }) => decide('rejected', by, reason), {
    validator: (request) => {
      const refusal = rejectionRefusal(policy, attempt(request.by ?? '', request));
      if (refusal) throw new Error(`rejection refused: ${refusal}`);
    },
  });

  setHandler(approveSignal, (request) => {
    const refusal = approvalRefusal(policy, attempt(request.by ?? '', request));
    if (refusal) state.refuse(request.by ?? '', refusal, new Date());
    else approve(request);
  });
  setHandler(rejectSignal, (request) => {
    const refusal = rejectionRefusal(policy, attempt(request.by ?? '', request));
    if (refusal) state.refuse(request.by ?? '', refusal, new Date());
    else decide('rejected', request.by, request.reason);
  });
}
