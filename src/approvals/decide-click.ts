/**
 * Turns a verified click into the approve / reject Update and words the outcome for the clicker.
 * Every failure becomes a polite sentence: the clicker only ever sees an ephemeral message, and
 * the operator sees the log line.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ReleaseRefusedError } from '../release-client/errors';
import { approveUpdate, type DecisionAck, rejectUpdate, type SlackOrigin } from '../domain/release-api';
import type { GroupMembership } from './group-membership';
import type { ButtonClick } from './interaction';

export interface ClickOutcome {
  /** True when the Update was accepted and the release recorded the decision. */
  decided: boolean;
  /** For the clicker (ephemeral). */
  text: string;
  /** For the operator's log: short, no secrets, no response_url. */
  summary: string;
}

const VERB = { approve: 'approval', reject: 'rejection' } as const;

export interface DecideClickOptions {
  timeoutMs: number;
  /** The name a Slack user acts under (config `people`). @default the Slack user id */
  identity?: (slackUserId: string) => string;
  /** Resolves the clicker's approver groups; without it groups play no part. */
  membership?: GroupMembership;
}

/**
 * The Update, carrying where the click came from so the validator can apply the group and
 * self-approval rules. Sent to the run the message was posted for when the button names one: a
 * re-run of the same release id must not be decided by an earlier run's message.
 */
async function sendDecision(client: Client, click: ButtonClick, by: string, origin: SlackOrigin): Promise<DecisionAck> {
  const handle = click.runId ? client.workflow.getHandle(click.releaseId, click.runId) : client.workflow.getHandle(click.releaseId);
  try {
    if (click.decision === 'approve') return await handle.executeUpdate(approveUpdate, { args: [{ by, ...origin }] });
    return await handle.executeUpdate(rejectUpdate, { args: [{ by, ...origin }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ReleaseRefusedError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}

function acceptedText(ack: DecisionAck, releaseId: string): string {
  if (ack.decision === 'rejected') return `You rejected ${releaseId}. Staging is being rolled back.`;
  if (ack.pending) return `Your approval of ${releaseId} is recorded. It still needs ${ack.pending} more approval(s) from someone else.`;
  return `You approved ${releaseId}. The production canary starts now.`;
}

export async function decideClick(client: Client, click: ButtonClick, options: DecideClickOptions): Promise<ClickOutcome> {
  const { releaseId, decision, userId } = click;
  const identity = options.identity ?? ((id: string) => id);
  try {
    const groups = options.membership ? await options.membership.groupsOf(userId) : [];
    const origin: SlackOrigin = { slackUserId: userId, ...(groups.length > 0 ? { groups } : {}) };
    // A deadline, because an Update waits for a worker: with none running the click would hang.
    const ack = await client.withDeadline(Date.now() + options.timeoutMs, () => sendDecision(client, click, identity(userId), origin));
    return { decided: true, text: acceptedText(ack, releaseId), summary: ack.pending ? `approved (${ack.pending} more needed)` : ack.decision };
  } catch (err) {
    if (err instanceof ReleaseRefusedError) {
      // The validator's words, minus its "approval refused: " prefix, which the sentence already says.
      const reason = err.message.replace(/^(approval|rejection) refused:\s*/, '');
      return {
        decided: false,
        text: `Your ${VERB[decision]} of ${releaseId} was not recorded: ${reason}. Nothing has changed.`,
        summary: `refused (${reason})`,
      };
    }
    if (err instanceof WorkflowNotFoundError) return goneOutcome(client, click);
    return {
      decided: false,
      text: `Runway could not confirm your ${VERB[decision]} of ${releaseId} in time. Check \`runway status ${releaseId}\` before clicking again.`,
      summary: `error (${(err as Error).message})`,
    };
  }
}

/**
 * An Update on a finished run is answered "not found" too; say which it is: the release is gone,
 * it has finished, or the message belongs to an earlier run and the current run is another.
 */
async function goneOutcome(client: Client, click: ButtonClick): Promise<ClickOutcome> {
  const { releaseId, decision } = click;
  let latest: { runId: string; status: string } | undefined;
  try {
    const described = await client.workflow.getHandle(releaseId).describe();
    latest = { runId: described.runId, status: described.status.name.toLowerCase() };
  } catch {
    latest = undefined;
  }
  let why: string;
  if (!latest) why = 'this release no longer exists';
  else if (click.runId && click.runId !== latest.runId) why = `this message belongs to an earlier run of ${releaseId}; use the latest message`;
  else why = `it has already finished (${latest.status})`;
  return { decided: false, text: `Your ${VERB[decision]} of ${releaseId} was not recorded: ${why}. Nothing has changed.`, summary: `gone (${why})` };
}
