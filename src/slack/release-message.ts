/**
 * The release's Slack message as Block Kit: one message per release, posted when approval is
 * needed and updated in place as the release moves. Pure; rendered inside the Slack activity.
 */
import type { KnownBlock } from '@slack/web-api';

export const APPROVE_ACTION_ID = 'runway_approve';
export const REJECT_ACTION_ID = 'runway_reject';

export interface ReleaseMessage {
  releaseId: string;
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
}


export function releaseMessageText(msg: ReleaseMessage): string {
  return `${msg.service} ${msg.version.slice(0, 12)}: ${msg.headline}`;
}

export function releaseMessageBlocks(msg: ReleaseMessage): KnownBlock[] {
  const commitUrl = `https://github.com/${msg.repo}/commit/${msg.version}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${msg.service}: ${msg.headline}`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Version*\n<${commitUrl}|${msg.version.slice(0, 12)}>` },
        { type: 'mrkdwn', text: `*Requested by*\n${msg.requestedBy}` },
        { type: 'mrkdwn', text: `*Reason*\n${msg.reason || '—'}` },
        { type: 'mrkdwn', text: msg.runUrl ? `*Run*\n<${msg.runUrl}|${msg.releaseId}>` : `*Run*\n${msg.releaseId}` },
      ],
    },
  ];
  if (msg.lines.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: msg.lines.map((l) => `• ${l}`).join('\n').slice(0, 3000) } });
  }
  if (msg.withButtons) {
    blocks.push({
      type: 'actions',
      block_id: 'runway_decision',
      elements: [
        { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: msg.releaseId },
        {
          type: 'button',
          action_id: REJECT_ACTION_ID,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: msg.releaseId,
          confirm: {
            title: { type: 'plain_text', text: 'Reject this release?' },
            text: { type: 'plain_text', text: 'Staging will be rolled back.' },
            confirm: { type: 'plain_text', text: 'Reject' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  }
  return blocks;
}
