/**
 * The per-release Slack messenger's public surface (issue 20's note, "The fix to build next"):
 * one small workflow per release run, `<releaseId>:slack:<runId>`, that owns the run's Slack
 * message. The release hands every Slack item over to it, numbered, from its main flow only; the
 * messenger sends them in order (src/slack/message-queue.ts). Deterministic: no I/O here.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { SlackHandOver } from './message-queue';

export const RELEASE_SLACK_WORKFLOW_TYPE = 'releaseSlack';

export function releaseSlackWorkflowId(releaseId: string, runId: string): string {
  return `${releaseId}:slack:${runId}`;
}

export interface ReleaseSlackInput {
  channel: string;
  /** Its Slack calls' heartbeat timeout (ms); SLACK_CALL_HEARTBEAT_TIMEOUT_MS when absent (messengers started before it existed). */
  callHeartbeatTimeoutMs?: number;
  /**
   * The release run the messenger speaks for. After a long quiet spell the messenger looks at it:
   * still running (a long approval wait, a long freeze), it waits on; closed without a final word
   * (terminated), it ends. Messengers started before these existed end at their first quiet spell.
   */
  release?: { workflowId: string; runId: string };
  /** How long a quiet spell lasts before that look; 30 days by default (tests shorten it). */
  idleLimitMs?: number;
  /** How long the messenger stays after the final with nothing left to send, for late replies; 2 minutes by default (tests shorten it). */
  afterFinalMs?: number;
  /** A call whose turn with Slack is further off than this waits for it on a timer; SLACK_TURN_DEFER_BEYOND_MS by default (tests shorten it). */
  turnDeferBeyondMs?: number;
}

export interface ReleaseSlackHandOver {
  items: SlackHandOver[];
  /**
   * Answer only once everything handed over so far has been sent (or given up on): how a release
   * waits for its final update, and for what it says after it, before it closes.
   */
  untilSent?: boolean;
  /**
   * Answer once taken, and signal the release (`releaseSlackSentSignal`) once everything handed
   * over so far has been sent: how releases since `slack-sent-signal` wait for their last word,
   * with no activity waiting meanwhile.
   */
  tellWhenSent?: boolean;
}

/** What went wrong with Slack, for the release to record in its own history (Slack informs; it never fails a release). */
export interface ReleaseSlackReport {
  failures: string[];
}

/**
 * What a messenger ends with: every hand-over number it took and what it could not send. A
 * hand-over retried after its messenger closed (its worker died while it waited) is answered
 * from this (activities/release-slack-hand-over.ts): started again, it would be a second
 * messenger with no message to update.
 */
export interface ReleaseSlackResult extends ReleaseSlackReport {
  taken: number[];
}

export const releaseSlackHandOverUpdate = defineUpdate<ReleaseSlackReport, [ReleaseSlackHandOver]>('releaseSlackHandOver');
/** The messenger's word to its release once everything handed over is sent (defined with the release's own messages). */
export { releaseSlackSentSignal } from '../domain/release-api';
