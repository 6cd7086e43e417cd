/**
 * The release lane's public surface (issue 18, part 1): the lane entity workflow's Updates and
 * query, the signals it sends the releases and rollbacks it admits, and its id. One lane per
 * service and task queue: `runway-lane:<taskQueue>:<service>`. Imported by the lane workflow, the
 * release and rollback workflows, their activities and the CLI. Deterministic: no I/O here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AdmitRequest, LaneDecision, LaneMode, LaneState, LaneStop } from './lane';

export const LANE_WORKFLOW_TYPE = 'lane';

export function laneWorkflowId(taskQueue: string, service: string): string {
  return `runway-lane:${taskQueue}:${service}`;
}

/** What the lane workflow starts with: a fresh lane, or the state it continued as new with. */
export interface LaneInput {
  service: string;
  taskQueue: string;
  mode: LaneMode;
  state?: LaneState;
}

/** An admission as the lane receives it: the request, and the service's lane mode from its config now. */
export interface LaneAdmit extends AdmitRequest {
  mode: LaneMode;
}

/** The lane's answer: the decision and the caller's place as people read it ("queued (2nd, behind …)"). */
export interface LaneAdmitted {
  decision: LaneDecision;
  place?: string;
}

export interface PassApprovalRequest {
  workflowId: string;
}
export type PassApprovalAnswer = { ok: true } | { ok: false; reason: string };

export const admitUpdate = defineUpdate<LaneAdmitted, [LaneAdmit]>('admit');
/** The holder is about to go past its approval: from then on no release supersedes it. */
export const passApprovalUpdate = defineUpdate<PassApprovalAnswer, [PassApprovalRequest]>('passApproval');
export const laneQuery = defineQuery<LaneState>('lane');

/** Lane → release: it holds the lane now and may go. */
export const laneTurnSignal = defineSignal<[]>('laneTurn');
/** Lane → release: stop (superseded, or preempted by a rollback); it rolls back what it did and ends. */
export const laneStopSignal = defineSignal<[Pick<LaneStop, 'reason' | 'cause'>]>('laneStop');

/** A run leaving the lane: which one. */
export interface LaneLeaving {
  workflowId: string;
  runId: string;
}
/**
 * Release → lane: this run is ending (its last step). The lane frees the place only once the
 * server says the run has closed.
 */
export const laneLeavingSignal = defineSignal<[LaneLeaving]>('laneLeaving');
