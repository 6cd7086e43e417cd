/**
 * The release's Slack message as Block Kit: one message per release, posted when approval is
 * needed and updated in place as the release moves. Pure; rendered inside the Slack activity.
 */
import type { KnownBlock } from '@slack/web-api';
import { BUTTON_ACTION_IDS, type ButtonAction, buttonValue } from '../shared/slack-button-value';
import { canaryTable, type CanaryRow, type CanaryFailure } from './canary-table';
import { escapeMrkdwn, truncateMrkdwn } from './escape';

export type { CanaryRow, CanaryFailure } from './canary-table';

export {
  APPROVE_ACTION_ID,
  CANARY_ABORT_ACTION_ID,
  CANARY_PROMOTE_ACTION_ID,
  CANARY_RESUME_ACTION_ID,
  REJECT_ACTION_ID,
  RELEASE_ROLLBACK_ACTION_ID,
} from '../shared/slack-button-value';

export interface ReleaseMessage {
  releaseId: string;
  /**
   * The workflow run the message belongs to. Put in the message metadata and the buttons, so a
   * re-run of the same release id neither reuses nor is decided by an earlier run's message.
   */
  runId?: string;
  service: string;
  version: string;
  repo: string;
  requestedBy: string;
  reason: string;
  /** One-line state, e.g. "Waiting for approval" or "Released to production". */
  headline: string;
  /** What happened so far, one line each. */
  lines: string[];
  /** Link to the run in the Temporal Web UI. */
  runUrl?: string;
  /** Approve / Reject buttons, only while the release awaits approval. */
  withButtons: boolean;
  /** Resume / Promote / Roll back buttons, only while analysis holds the canary for a human decision. */
  withCanaryButtons?: boolean;
  /** A Roll back button (a rollback of the finished release), only once the release is released. */
  withRollbackButton?: boolean;
  /** Staging result, e.g. "2 task(s) running checkout-staging:7". */
  staging?: string;
  /** Smoke test result, e.g. "3/3 checks answered 200". */
  smoke?: string;
  /** Who approved (and approvals so far when several are required), e.g. "alice, bob". */
  approvedBy?: string;
  /** Canary steps so far with their numbers, oldest first. */
  canary?: CanaryRow[];
  /** The signal that stopped the release, with its values. */
  failure?: CanaryFailure;
}

/** The notification text (mrkdwn too): the headline can carry a rejection or rollback reason. */
export function releaseMessageText(msg: ReleaseMessage): string {
  return `${msg.service} ${msg.version.slice(0, 12)}: ${escapeMrkdwn(msg.headline)}`;
}

/** `value` is mrkdwn Runway built; untrusted parts must already be escaped. */
const field = (title: string, value: string) => ({ type: 'mrkdwn' as const, text: truncateMrkdwn(`*${title}*\n${value}`, 2000) });

/** Slack renders at most 10 fields in a section. */
function summaryFields(msg: ReleaseMessage) {
  const commitUrl = `https://github.com/${msg.repo}/commit/${msg.version}`;
  const fields = [
    field('Version', `<${commitUrl}|${msg.version.slice(0, 12)}>`),
    field('Requested by', escapeMrkdwn(msg.requestedBy)),
    field('Reason', escapeMrkdwn(msg.reason) || '—'),
    field('Run', msg.runUrl ? `<${msg.runUrl}|${msg.releaseId}>` : msg.releaseId),
  ];
  if (msg.staging) fields.push(field('Staging', escapeMrkdwn(msg.staging)));
  if (msg.smoke) fields.push(field('Smoke test', escapeMrkdwn(msg.smoke)));
  if (msg.approvedBy) fields.push(field('Approved by', escapeMrkdwn(msg.approvedBy)));
  return fields;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

interface ButtonSpec {
  action: ButtonAction;
  text: string;
  style?: 'primary' | 'danger';
  /** Slack asks "are you sure?" with these words before it sends the click. */
  confirm?: { title: string; text: string; confirm: string };
}

/** An actions block of Runway's buttons, each carrying this message's release and run. */
function buttons(msg: ReleaseMessage, blockId: string, specs: ButtonSpec[]): KnownBlock {
  const value = buttonValue({ releaseId: msg.releaseId, runId: msg.runId });
  return {
    type: 'actions',
    block_id: blockId,
    elements: specs.map((b) => ({
      type: 'button' as const,
      action_id: BUTTON_ACTION_IDS[b.action],
      ...(b.style ? { style: b.style } : {}),
      text: plain(b.text),
      value,
      ...(b.confirm ? { confirm: { title: plain(b.confirm.title), text: plain(b.confirm.text), confirm: plain(b.confirm.confirm), deny: plain('Cancel') } } : {}),
    })),
  };
}

function decisionButtons(msg: ReleaseMessage): KnownBlock {
  return buttons(msg, 'runway_decision', [
    { action: 'approve', text: 'Approve', style: 'primary' },
    { action: 'reject', text: 'Reject', style: 'danger', confirm: { title: 'Reject this release?', text: 'Staging will be rolled back.', confirm: 'Reject' } },
  ]);
}

/** A held canary's decision: resume (accept this step), promote (skip the rest) or roll back (abort). */
function canaryButtons(msg: ReleaseMessage): KnownBlock {
  return buttons(msg, 'runway_canary_hold', [
    { action: 'resume', text: 'Resume', style: 'primary' },
    {
      action: 'promote',
      text: 'Promote',
      confirm: { title: 'Promote to all of production?', text: 'The remaining canary steps are skipped.', confirm: 'Promote' },
    },
    {
      action: 'abort',
      text: 'Roll back',
      style: 'danger',
      confirm: { title: 'Roll back this release?', text: 'Canary traffic goes to 0 at once; production and staging are restored.', confirm: 'Roll back' },
    },
  ]);
}

/** A released release: roll production back to what ran before it, by a rollback workflow of its own. */
function rollbackButton(msg: ReleaseMessage): KnownBlock {
  return buttons(msg, 'runway_released', [
    {
      action: 'rollback',
      text: 'Roll back',
      style: 'danger',
      confirm: {
        title: 'Roll back this release?',
        text: `Production goes back to the version that ran before ${msg.version.slice(0, 12)}.`,
        confirm: 'Roll back',
      },
    },
  ]);
}

export function releaseMessageBlocks(msg: ReleaseMessage): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${msg.service}: ${msg.headline}`.slice(0, 150) } },
    { type: 'section', fields: summaryFields(msg) },
  ];
  const canary = canaryTable(msg.canary, msg.failure);
  if (canary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(canary, 3000) } });
  if (msg.lines.length > 0) {
    // History lines quote reasons and comments people typed.
    const lines = msg.lines.map((l) => `• ${escapeMrkdwn(l)}`).join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(lines, 3000) } });
  }
  if (msg.withButtons) blocks.push(decisionButtons(msg));
  if (msg.withCanaryButtons) blocks.push(canaryButtons(msg));
  if (msg.withRollbackButton) blocks.push(rollbackButton(msg));
  return blocks;
}
