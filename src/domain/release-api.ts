/**
 * The release workflow's public surface: updates, signals, the status query, search attributes
 * and names. Imported by the workflow and by every client (CLI, approvals server, tests), so
 * both sides always agree. Deterministic: no I/O here.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// Definitions come from @temporalio/workflow; they are plain values, safe to import in clients.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionMessage, DecisionProof } from './decision-proof';
import type { OperatorAction } from './operator-controls';
import type { ReleaseStatus } from './release';

export const DEFAULT_TASK_QUEUE = 'runway';
export const RELEASE_WORKFLOW_TYPE = 'release';
export const ROLLBACK_WORKFLOW_TYPE = 'rollback';

/** Where a Slack click came from; the approvals server fills it in, the CLI leaves it out. */
export interface SlackOrigin {
  /** The clicker's Slack user id. */
  slackUserId?: string;
  /** Configured approver groups the server found the clicker in (usergroups.users.list). */
  groups?: string[];
}
/**
 * A decision's proof (README, "Threat model"): the canonical message it signs and the signature,
 * an HMAC from the approvals server or an SSH signature from the CLI. Required when the worker is
 * configured with keys; the release verifies it before the decision counts.
 */
export interface SignedDecision {
  message?: DecisionMessage;
  proof?: DecisionProof;
}
export interface ApproveRequest extends SlackOrigin, SignedDecision {
  by: string;
  comment?: string;
}
export interface RejectRequest extends SlackOrigin, SignedDecision {
  by: string;
  reason?: string;
}
/** What an approve/reject Update returns to its caller once accepted. */
export interface DecisionAck {
  releaseId: string;
  decision: 'approved' | 'rejected';
  by: string;
  /** Approvals still needed when several are required: the approval was recorded, the release waits. */
  pending?: number;
}

export const approveUpdate = defineUpdate<DecisionAck, [ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<DecisionAck, [RejectRequest]>('reject');
/** Same decisions as signals, for operators acting from the Web UI or `temporal workflow signal`. */
export const approveSignal = defineSignal<[ApproveRequest]>('approve');
export const rejectSignal = defineSignal<[RejectRequest]>('reject');

/**
 * The release's Slack messenger's word (workflows/release-slack-messenger.ts): every item up to
 * `sentUpTo` has been sent (or given up on), with what Slack refused so far. Sent by the
 * messenger, never by a person: `runway audit` keeps it apart from the decisions.
 */
export interface ReleaseSlackSent {
  sentUpTo: number;
  failures: string[];
}
export const releaseSlackSentSignal = defineSignal<[ReleaseSlackSent]>('releaseSlackSent');
export const statusQuery = defineQuery<ReleaseStatus>('status');

/**
 * Operator controls (pause / resume / promote / abort), recorded with who and why. Judged by the
 * approval policy, so a click on a held canary's Slack buttons carries its origin like an approval.
 */
export interface ControlRequest extends SlackOrigin, SignedDecision {
  by: string;
  reason?: string;
}
export interface ControlAck {
  releaseId: string;
  action: OperatorAction;
  by: string;
}
export const pauseUpdate = defineUpdate<ControlAck, [ControlRequest]>('pause');
export const resumeUpdate = defineUpdate<ControlAck, [ControlRequest]>('resume');
export const promoteUpdate = defineUpdate<ControlAck, [ControlRequest]>('promote');
export const abortUpdate = defineUpdate<ControlAck, [ControlRequest]>('abort');
export const controlUpdates = { pause: pauseUpdate, resume: resumeUpdate, promote: promoteUpdate, abort: abortUpdate } as const;

export const serviceSearchAttribute = defineSearchAttributeKey('RunwayService', SearchAttributeType.KEYWORD);
export const versionSearchAttribute = defineSearchAttributeKey('RunwayVersion', SearchAttributeType.KEYWORD);
export const stageSearchAttribute = defineSearchAttributeKey('RunwayStage', SearchAttributeType.KEYWORD);
export const approverSearchAttribute = defineSearchAttributeKey('RunwayApprover', SearchAttributeType.KEYWORD);
export const canaryWeightSearchAttribute = defineSearchAttributeKey('RunwayCanaryWeight', SearchAttributeType.INT);
