/**
 * Approve / reject handlers. Updates answer their caller (a refused approver gets the reason and
 * the release keeps waiting); signals cannot answer, so a refused signal is recorded in the status.
 * With several approvals required, each approval is recorded and the last one decides.
 *
 * Proven decisions (./decision-proof.ts): the validator refuses at once what the policy refuses
 * for the identity the request claims (nothing enters the history); the handler then proves that
 * identity (binding, freshness, nonce, the worker's verdict), records a refused proof, and judges
 * the policy again with the proven identity before the decision counts.
 */
import { ApplicationFailure, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { type Actor, approvalRefusal, type ApprovalPolicy, matchedGroup, rejectionRefusal, requiredApprovals } from '../../src/domain/approval-policy';
import type { ReleaseState } from '../../src/domain/release-state';
import {
  approveSignal,
  approveUpdate,
  type ApproveRequest,
  approverSearchAttribute,
  type DecisionAck,
  rejectSignal,
  rejectUpdate,
  type RejectRequest,
  type SlackOrigin,
} from '../../src/domain/release-api';
import { DECISION_REFUSED, decisionRefusal, type DecisionProver } from './decision-proof';

export function registerApprovalHandlers(state: ReleaseState, policy: ApprovalPolicy, requestedBy: string, prover: DecisionProver): void {
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

  const approve = (request: Actor & { comment?: string }): DecisionAck => {
    // One approval decides at once, exactly as releases recorded before N-approvals existed.
    if (required === 1) return decide('approved', request.by, request.comment);
    const by = request.by.trim();
    const pending = state.addApproval(by, request.comment, matchedGroup(policy, request), required, new Date());
    if (pending === 0) upsertSearchAttributes([{ key: approverSearchAttribute, value: state.approval.by! }]);
    return { releaseId: state.snapshot().releaseId, decision: 'approved', by, ...(pending > 0 ? { pending } : {}) };
  };

  const shapeProblem = (request: ApproveRequest | RejectRequest): string | undefined => {
    if (!request || typeof request !== 'object') return 'the request is not an object';
    if (typeof request.by !== 'string') return 'an approver identity is required';
    return undefined;
  };

  /** The proven actor, or a refusal recorded in the history and thrown back to the caller. */
  const proven = async (action: 'approve' | 'reject', request: ApproveRequest | RejectRequest, note: string | undefined): Promise<Actor> => {
    const result = await prover.prove(action, request, note);
    const what = action === 'approve' ? 'approval' : 'rejection';
    if ('refused' in result) {
      state.refuse(request.by ?? '', result.refused, new Date());
      throw decisionRefusal(what, result.refused);
    }
    return result.actor;
  };

  setHandler(
    approveUpdate,
    async (request) => {
      if (!prover.enabled()) return approve(request);
      const actor = await proven('approve', request, request.comment);
      // Judged again with the proven identity: the release may also have moved on meanwhile.
      const refusal = approvalRefusal(policy, attempt(actor.by, actor));
      if (refusal) throw ApplicationFailure.nonRetryable(`approval refused: ${refusal}`, DECISION_REFUSED);
      return approve({ ...actor, comment: request.comment });
    },
    {
      validator: (request) => {
        const shape = shapeProblem(request);
        if (shape) throw new Error(`approval refused: ${shape}`);
        const refusal = approvalRefusal(policy, attempt(request.by ?? '', request));
        if (refusal) throw new Error(`approval refused: ${refusal}`);
      },
    },
  );
  setHandler(
    rejectUpdate,
    async (request) => {
      if (!prover.enabled()) return decide('rejected', request.by, request.reason);
      const actor = await proven('reject', request, request.reason);
      const refusal = rejectionRefusal(policy, attempt(actor.by, actor));
      if (refusal) throw ApplicationFailure.nonRetryable(`rejection refused: ${refusal}`, DECISION_REFUSED);
      return decide('rejected', actor.by, request.reason);
    },
    {
      validator: (request) => {
        const shape = shapeProblem(request);
        if (shape) throw new Error(`rejection refused: ${shape}`);
        const refusal = rejectionRefusal(policy, attempt(request.by ?? '', request));
        if (refusal) throw new Error(`rejection refused: ${refusal}`);
      },
    },
  );

  // Signals cannot answer nor carry a verified identity: with proofs required they are refused (recorded).
  const judgeSignal = async (request: ApproveRequest | RejectRequest): Promise<boolean> => {
    const proof = await prover.signalTrusted(request);
    if ('refused' in proof) state.refuse(request.by ?? '', proof.refused, new Date());
    return !('refused' in proof);
  };
  const approveBySignal = (request: ApproveRequest): void => {
    const refusal = approvalRefusal(policy, attempt(request.by ?? '', request));
    if (refusal) state.refuse(request.by ?? '', refusal, new Date());
    else approve(request);
  };
  const rejectBySignal = (request: RejectRequest): void => {
    const refusal = rejectionRefusal(policy, attempt(request.by ?? '', request));
    if (refusal) state.refuse(request.by ?? '', refusal, new Date());
    else decide('rejected', request.by, request.reason);
  };
  setHandler(approveSignal, (request) => {
    if (!prover.enabled()) return approveBySignal(request);
    return judgeSignal(request).then((ok) => (ok ? approveBySignal(request) : undefined));
  });
  setHandler(rejectSignal, (request) => {
    if (!prover.enabled()) return rejectBySignal(request);
    return judgeSignal(request).then((ok) => (ok ? rejectBySignal(request) : undefined));
  });
}
