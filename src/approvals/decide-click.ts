/**
 * Turns a verified click into the approve / reject Update and words the outcome for the clicker.
 * Every failure becomes a polite sentence: the clicker only ever sees an ephemeral message, and
 * the operator sees the log line.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { decideRelease, ReleaseRefusedError } from '../client/releases';
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

export async function decideClick(
  client: Client,
  click: ButtonClick,
  timeoutMs: number,
  identity: (slackUserId: string) => string = (id) => id,
): Promise<ClickOutcome> {
  const { releaseId, decision, userId } = click;
  try {
    // A deadline, because an Update waits for a worker: with none running the click would hang.
    const ack = await client.withDeadline(Date.now() + timeoutMs, () => decideRelease(client, releaseId, decision, identity(userId)));
    const text =
      ack.decision === 'approved'
        ? `You approved ${releaseId}. The production canary starts now.`
        : `You rejected ${releaseId}. Staging is being rolled back.`;
    return { decided: true, text, summary: ack.decision };
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
    if (err instanceof WorkflowNotFoundError) return goneOutcome(client, releaseId, decision);
    return {
      decided: false,
      text: `Runway could not confirm your ${VERB[decision]} of ${releaseId} in time. Check \`runway status ${releaseId}\` before clicking again.`,
      summary: `error (${(err as Error).message})`,
    };
  }
}

/** An Update on a finished release is answered "not found" too; say which of the two it is. */
async function goneOutcome(client: Client, releaseId: string, decision: ButtonClick['decision']): Promise<ClickOutcome> {
  let finished: string | undefined;
  try {
    finished = (await client.workflow.getHandle(releaseId).describe()).status.name.toLowerCase();
  } catch {
    finished = undefined;
  }
  const why = finished ? `it has already finished (${finished})` : 'this release no longer exists';
  return { decided: false, text: `Your ${VERB[decision]} of ${releaseId} was not recorded: ${why}. Nothing has changed.`, summary: `gone (${why})` };
}
