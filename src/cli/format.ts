/** Human-readable rendering of release status for the terminal. */
import type { ReleaseEvent, ReleaseStatus } from '../domain/release';

function time(iso: string): string {
  return iso.slice(11, 19);
}

export function formatEvent(event: ReleaseEvent): string {
  return `${time(event.at)}  ${event.stage.padEnd(17)} ${event.message}`;
}

export function formatStatus(status: ReleaseStatus): string {
  const lines = [
    `release   ${status.releaseId}`,
    `stage     ${status.stage}${status.result ? ` (${status.result})` : ''}`,
    `service   ${status.service}   version ${status.version}`,
    `image     ${status.image}`,
    `requested ${status.requestedBy}: ${status.reason}`,
    `started   ${status.startedAt}${status.finishedAt ? `   finished ${status.finishedAt}` : ''}`,
  ];
  if (status.canary.step > 0) {
    lines.push(`canary    step ${status.canary.step}/${status.canary.steps.length}, ${status.canary.weight}% requested, ${status.canary.actualWeight}% of tasks`);
  }
  const { approval } = status;
  if (approval.decision) lines.push(`approval  ${approval.decision} by ${approval.by} at ${approval.at}${approval.comment ? `: ${approval.comment}` : ''}`);
  for (const r of approval.refused) lines.push(`refused   ${r.by || '(unknown)'} at ${r.at}: ${r.reason}`);
  if (status.paused) lines.push('paused    the canary is held at its current weight (runway resume <id>)');
  for (const c of status.controls ?? []) lines.push(`control   ${c.action} by ${c.by} at ${c.at}${c.reason ? `: ${c.reason}` : ''}`);
  if (status.outcomeReason) lines.push(`reason    ${status.outcomeReason}`);
  lines.push('', 'history');
  for (const event of status.history) lines.push(`  ${formatEvent(event)}`);
  return lines.join('\n');
}
