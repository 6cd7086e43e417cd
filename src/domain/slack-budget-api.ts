/**
 * The Slack budget's public surface (issue 20): one entity workflow per Runway installation (task
 * queue), `runway-slack-budget:<taskQueue>`, that every worker's Slack pacer asks for a send time
 * before each Slack write. Imported by workflows, activities and clients. Deterministic: no I/O.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SlackBudgetState } from './slack-budget';

export const SLACK_BUDGET_WORKFLOW_TYPE = 'slackBudget';

export function slackBudgetWorkflowId(taskQueue: string): string {
  return `runway-slack-budget:${taskQueue}`;
}

export interface SlackSendTimeRequest {
  /** The line (src/domain/slack-budget.ts `slackLineOf`). */
  line: string;
  /** The line's spacing as the asking worker's pace has it; the latest asked wins. */
  intervalMs: number;
  /** The asker's clock when it asked (epoch ms): send times are set from it, not from the workflow's task time. */
  askedAtMs: number;
  /**
   * How far ahead of its "now" the asker wants the time (src/domain/slack-budget-lead.ts), taken
   * within ASKED_LEAD_BOUNDS_MS since the `slack-budget-askers-lead` patch; without it, SEND_TIME_LEAD_MS.
   */
  leadMs?: number;
}

export interface SlackSendTime {
  /** When (epoch ms, the server's workflow clock) the call may be made. */
  atMs: number;
  /** The budget's "now" the time was set from: the asker measures its answer's delay from it. Absent from runs before the `slack-budget-askers-lead` patch. */
  fromMs?: number;
}

export interface SlackBudgetInput {
  state?: SlackBudgetState;
}

/** A send time for one Slack call. */
export const slackSendTimeUpdate = defineUpdate<SlackSendTime, [SlackSendTimeRequest]>('slackSendTime');
/** Slack refused a call on `line` (429) until `untilMs`: every worker waits. */
export const slackRateLimitedUpdate = defineUpdate<void, [{ line: string; untilMs: number }]>('slackRateLimited');
export const slackBudgetQuery = defineQuery<SlackBudgetState>('slackBudget');
