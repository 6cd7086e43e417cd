/**
 * Ad hoc freezes (`runway freeze start|end|status`) and the production gate's messages: the freeze
 * workflow's Updates and query, the signal it sends releases waiting at their gate, and the
 * break-glass Update of a release. Imported by workflows and clients alike. Deterministic.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SignedDecision, SlackOrigin } from './release-api';

export const FREEZE_WORKFLOW_TYPE = 'freeze';

/** One freeze workflow per task queue (one Runway installation). */
export function freezeWorkflowId(taskQueue: string): string {
  return `runway-freeze:${taskQueue}`;
}

/** An ad hoc freeze in force: of one service, or of every service (no `service`). */
export interface AdHocFreeze {
  service?: string;
  reason: string;
  by: string;
  startedAt: string;
}

export interface FreezeStartRequest {
  service?: string;
  reason: string;
  by: string;
}
export interface FreezeEndRequest {
  service?: string;
  by: string;
}
/** A release at its gate: the freezes in force for its service now, and a signal when any of them ends. */
export interface FreezeWatchRequest {
  releaseId: string;
  service: string;
}
export interface FreezeEvent {
  at: string;
  action: 'start' | 'end';
  service?: string;
  by: string;
  reason?: string;
}
export interface FreezeWorkflowState {
  freezes: AdHocFreeze[];
  /** Releases waiting at their gate, told when a freeze ends. */
  waiting: string[];
  /** The most recent starts and ends, oldest first (bounded). */
  log: FreezeEvent[];
}

export const freezeStartUpdate = defineUpdate<AdHocFreeze, [FreezeStartRequest]>('freezeStart');
export const freezeEndUpdate = defineUpdate<AdHocFreeze, [FreezeEndRequest]>('freezeEnd');
export const freezeWatchUpdate = defineUpdate<AdHocFreeze[], [FreezeWatchRequest]>('freezeWatch');
export const freezeStateQuery = defineQuery<FreezeWorkflowState>('freezeState');
/** Sent by the freeze workflow to releases waiting at their gate when an ad hoc freeze ends. */
export const freezeChangedSignal = defineSignal('freezeChanged');

/** The ad hoc freezes that hold `service`: its own and the organisation's. */
export function adHocFreezesOf(freezes: readonly AdHocFreeze[], service: string): AdHocFreeze[] {
  return freezes.filter((f) => f.service === undefined || f.service === service);
}

/** Same shape as an approval (ApproveRequest), judged by the same policy. */
export interface BreakGlassRequest extends SlackOrigin, SignedDecision {
  by: string;
  comment?: string;
}
export interface BreakGlassAck {
  releaseId: string;
  by: string;
  /** Approvals still needed; 0 when the release passes the gate. */
  pending: number;
}
export const breakGlassApproveUpdate = defineUpdate<BreakGlassAck, [BreakGlassRequest]>('breakGlassApprove');
