/**
 * The release's Slack message as Block Kit: one message per release, posted when approval is
 * needed and updated in place as the release moves. Pure; rendered inside the Slack activity.
 */
import type { KnownBlock } from '@slack/web-api';
import { APPROVE_ACTION_ID, buttonValue, REJECT_ACTION_ID } from '../shared/slack-button-value';
import { canaryTable, type CanaryRow, type CanaryFailure } from './canary-table';
import { escapeMrkdwn, truncateMrkdwn } from './escape';

export type { CanaryRow, CanaryFailure } from './canary-table';

export { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../shared/slack-button-value';

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

function decisionButtons(msg: ReleaseMessage): KnownBlock {
  const value = buttonValue({ releaseId: msg.releaseId, runId: msg.runId });
  return {
    type: 'actions',
    block_id: 'runway_decision',
    elements: [
      { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
      {
        type: 'button',
        action_id: REJECT_ACTION_ID,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Reject this release?' },
          text: { type: 'plain_text', text: 'Staging will be rolled back.' },
          confirm: { type: 'plain_text', text: 'Reject' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  };
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
  return blocks;
}
