/**
 * Turns a verified click into its Update (approve / reject, or a held canary's resume / promote /
 * abort), or a released release's Roll back into a rollback (./rollback-click.ts), and words the
 * outcome for the clicker. Every failure becomes a polite sentence: the
 * clicker only ever sees an ephemeral message, and the operator sees the log line.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ReleaseRefusedError } from '../release-client/errors';
import { controlRelease, refusalsAsErrors } from '../release-client/releases';
import { currentRunId, type DecisionHmacKey, hmacSignedDecision } from '../release-client/decision-signing';
import type { DecisionAction } from '../domain/decision-proof';
import type { OperatorAction } from '../domain/operator-controls';
import { approveUpdate, type ControlAck, type DecisionAck, rejectUpdate, type SignedDecision, type SlackOrigin } from '../domain/release-api';
import type { ButtonAction } from '../shared/slack-button-value';
import type { GroupMembership } from './group-membership';
import type { ButtonClick } from './interaction';
import { rollbackClick, type RollbackClickOptions } from './rollback-click';
import { executeUpdateOnce } from '../release-client/update-once';

export interface ClickOutcome {
  /** True when the Update was accepted and the release recorded the decision. */
  decided: boolean;
  /** For the clicker (ephemeral). */
  text: string;
  /** For the operator's log: short, no secrets, no response_url. */
  summary: string;
}

/** What the clicker asked for, as a noun: "Your approval of …", "Your rollback of …". */
const VERB: Record<ButtonAction, string> = {
  approve: 'approval',
  reject: 'rejection',
  resume: 'request to resume',
  promote: 'promotion',
  abort: 'rollback',
  rollback: 'rollback',
};

/** The reason a control from Slack is recorded with in the release's history. */
export const SLACK_CONTROL_REASON = 'via Slack';

export interface DecideClickOptions {
  timeoutMs: number;
  /** The name a Slack user acts under (config `people`). @default the Slack user id */
  identity?: (slackUserId: string) => string;
  /** Resolves the clicker's approver groups; without it groups play no part. */
  membership?: GroupMembership;
  /** Where and with which plan a Roll back on a released release's message starts its rollback. */
  rollbacks?: RollbackClickOptions;
  /** Signs each decision for the run it is sent to (RUNWAY_DECISION_HMAC_KEYS); without it decisions go unsigned. */
  decisionKey?: DecisionHmacKey;
}

/** The Slack identity a decision is sent with: where the click came from and, with a key, the proof of it. */
interface ClickOrigin {
  origin: SlackOrigin;
  /** Signs the decision for the run it is sent to; undefined without a key. */
  sign?: (runId: string, action: DecisionAction, note: string | undefined) => SignedDecision;
}

/**
 * The run an Update is sent to, and the proof bound to it: the message's run when the button
 * names one, else the release's current run (a proof for one run is refused by another).
 */
async function signedFor(client: Client, click: ButtonClick, action: DecisionAction, note: string | undefined, from: ClickOrigin): Promise<{ runId?: string; signed: SignedDecision }> {
  if (!from.sign) return { runId: click.runId, signed: {} };
  const runId = click.runId ?? (await currentRunId(client, click.releaseId));
  return { runId, signed: from.sign(runId, action, note) };
}

/**
 * The Update, carrying where the click came from so the validator can apply the group and
 * self-approval rules. Sent to the run the message was posted for when the button names one: a
 * re-run of the same release id must not be decided by an earlier run's message.
 */
async function sendDecision(client: Client, click: ButtonClick & { action: 'approve' | 'reject' }, by: string, from: ClickOrigin): Promise<DecisionAck> {
  const { runId, signed } = await signedFor(client, click, click.action, undefined, from);
  const handle = runId ? client.workflow.getHandle(click.releaseId, runId) : client.workflow.getHandle(click.releaseId);
  const request = { by, ...from.origin, ...signed };
  return refusalsAsErrors(() => (click.action === 'approve' ? executeUpdateOnce(handle, approveUpdate, [request]) : executeUpdateOnce(handle, rejectUpdate, [request])));
}

function decisionOutcome(ack: DecisionAck, releaseId: string): ClickOutcome {
  if (ack.decision === 'rejected') return { decided: true, text: `You rejected ${releaseId}. Staging is being rolled back.`, summary: 'rejected' };
  if (ack.pending) {
    const text = `Your approval of ${releaseId} is recorded. It still needs ${ack.pending} more approval(s) from someone else.`;
    return { decided: true, text, summary: `approved (${ack.pending} more needed)` };
  }
  return { decided: true, text: `You approved ${releaseId}. The production canary starts now.`, summary: 'approved' };
}

const CONTROL_OUTCOME: Record<OperatorAction, { summary: string; text: (releaseId: string) => string }> = {
  pause: { summary: 'paused', text: (id) => `You paused the canary of ${id}.` },
  resume: { summary: 'resumed', text: (id) => `You resumed the canary of ${id}: it bakes the rest of this step and analysis carries on.` },
  promote: { summary: 'promoted', text: (id) => `You promoted ${id}: the remaining canary steps are skipped and all of production moves to it.` },
  abort: { summary: 'rolled back', text: (id) => `You rolled back ${id}: canary traffic goes to 0 first, then production and staging are restored.` },
};

/** Approve / reject, or a canary control sent as the same Update the CLI sends, to the message's run. */
async function sendClick(client: Client, click: ButtonClick & { action: Exclude<ButtonAction, 'rollback'> }, by: string, from: ClickOrigin): Promise<ClickOutcome> {
  const { action, releaseId } = click;
  if (action === 'approve' || action === 'reject') return decisionOutcome(await sendDecision(client, { ...click, action }, by, from), releaseId);
  const { runId, signed } = await signedFor(client, click, action, SLACK_CONTROL_REASON, from);
  const ack: ControlAck = await controlRelease(client, releaseId, action, by, SLACK_CONTROL_REASON, { runId, origin: from.origin, signed });
  return { decided: true, text: CONTROL_OUTCOME[ack.action].text(releaseId), summary: CONTROL_OUTCOME[ack.action].summary };
}

export async function decideClick(client: Client, click: ButtonClick, options: DecideClickOptions): Promise<ClickOutcome> {
  const { releaseId, action, userId } = click;
  const identity = options.identity ?? ((id: string) => id);
  // The release has ended: the click starts a rollback workflow rather than deciding the release.
  if (action === 'rollback') return rollbackClick(client, click, { ...options, identity });
  try {
    const groups = options.membership ? await options.membership.groupsOf(userId) : [];
    const origin: SlackOrigin = { slackUserId: userId, ...(groups.length > 0 ? { groups } : {}) };
    const by = identity(userId);
    // Signed only now: Slack's signature is verified (the intake) and the groups are resolved.
    const key = options.decisionKey;
    const sign = key
      ? (runId: string, signedAction: DecisionAction, note: string | undefined) =>
          hmacSignedDecision({ namespace: client.options.namespace, releaseId, runId, action: signedAction, by, slackUserId: userId, groups, note }, key)
      : undefined;
    // A deadline, because an Update waits for a worker: with none running the click would hang.
    return await client.withDeadline(Date.now() + options.timeoutMs, () => sendClick(client, { ...click, action }, by, { origin, sign }));
  } catch (err) {
    if (err instanceof ReleaseRefusedError) {
      // The validator's words, minus its "approval refused: " prefix, which the sentence already says.
      const reason = err.message.replace(/^(approval|rejection|pause|resume|promote|abort) refused:\s*/, '');
      return {
        decided: false,
        text: `Your ${VERB[action]} of ${releaseId} was not recorded: ${reason}. Nothing has changed.`,
        summary: `refused (${reason})`,
      };
    }
    if (err instanceof WorkflowNotFoundError) return goneOutcome(client, click);
    return {
      decided: false,
      text: `Runway could not confirm your ${VERB[action]} of ${releaseId} in time. Check \`runway status ${releaseId}\` before clicking again.`,
      summary: `error (${(err as Error).message})`,
    };
  }
}

/**
 * An Update on a finished run is answered "not found" too; say which it is: the release is gone,
 * it has finished, or the message belongs to an earlier run and the current run is another.
 */
async function goneOutcome(client: Client, click: ButtonClick): Promise<ClickOutcome> {
  const { releaseId, action } = click;
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
  return { decided: false, text: `Your ${VERB[action]} of ${releaseId} was not recorded: ${why}. Nothing has changed.`, summary: `gone (${why})` };
}
