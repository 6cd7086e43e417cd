/** Human-readable rendering of release status for the terminal. */
import { weightText } from '../domain/canary-plan';
import { isLive } from '../release-client/live-analysis';
import type { AnalysisStepRecord, MeasurementRecord, ReleaseEvent, ReleaseStatus, VerifyRecord } from '../domain/release';

function time(iso: string): string {
  return iso.slice(11, 19);
}

export function formatEvent(event: ReleaseEvent): string {
  return `${time(event.at)}  ${event.stage.padEnd(17)} ${event.message}`;
}

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)}ms`);

/**
 * One table per canary step: every measurement's numbers, verdict and, when not a pass, why.
 * Measurements of the bake window in progress, not yet reported to the workflow, end in "(live)".
 */
export function formatAnalysis(steps: AnalysisStepRecord[]): string[] {
  return steps.flatMap((step) => ['', `analysis  step ${step.step} (${step.weight}%)`, ...measurementTable(step.measurements, 'stable')]);
}

/** One row per measurement, against `reference` (the stable track, or the watch's baseline). */
function measurementTable(measurements: MeasurementRecord[], reference: string): string[] {
  const lines = [`  ${'time'.padEnd(9)}${'verdict'.padEnd(13)}${'requests'.padStart(9)}${'errors'.padStart(9)}${reference.padStart(9)}${'p99'.padStart(8)}${reference.padStart(9)}${'crashed'.padStart(9)}`];
  for (const m of measurements) {
    lines.push(
      `  ${time(m.at).padEnd(9)}${m.verdict.padEnd(13)}${String(m.requests ?? '-').padStart(9)}${pct(m.errorRate).padStart(9)}${pct(m.stableErrorRate).padStart(9)}${ms(m.p99Ms).padStart(8)}${ms(m.stableP99Ms).padStart(9)}${String(m.crashedTasks).padStart(9)}${isLive(m) ? '  (live)' : ''}`,
    );
    for (const note of m.notes) lines.push(`           ${note}`);
  }
  return lines;
}

/** The post-release watch: its window, the baseline it holds production to, and its measurements. */
export function formatWatch(verify: VerifyRecord | undefined): string[] {
  if (!verify) return [];
  const window = verify.startedAt ? `from ${time(verify.startedAt)} until ${time(verify.endsAt ?? verify.startedAt)}` : 'after promotion';
  const b = verify.baseline;
  const lines = ['', `watch     ${Math.round(verify.durationMs / 1000)} s ${window}`];
  if (b) lines.push(`baseline  errors ${pct(b.errorRate)}, p99 ${ms(b.p99Ms)}, ${b.requests ?? '-'} requests (previous version, at ${time(b.at)})`);
  for (const f of verify.failure ?? []) lines.push(`failed    ${f.signal}: ${f.detail}`);
  if (verify.measurements.length > 0) lines.push(...measurementTable(verify.measurements, 'baseline'));
  return lines;
}

/** The freeze at the production gate: what holds it (or held it) and break-glass approvals. */
export function formatFreeze(status: ReleaseStatus): string[] {
  const freeze = status.freeze;
  if (!freeze) return [];
  const lines = [freeze.holding ? `frozen    ${freeze.text}` : `was       ${freeze.text} (passed the gate)`];
  const glass = freeze.breakGlass;
  if (glass) {
    const by = glass.approvals.map((a) => a.by).join(', ') || 'nobody yet';
    lines.push(`glass     break-glass (${glass.reason}): ${glass.approvals.length}/${glass.required} approval(s), by ${by}${freeze.holding ? ' — runway break-glass approve <id> --as <approver>' : ''}`);
  }
  return lines;
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
    lines.push(`canary    step ${status.canary.step}/${status.canary.steps.length}, ${weightText(status.canary.weight, status.canary.actualWeight)}`);
  }
  const { approval } = status;
  if (approval.decision) lines.push(`approval  ${approval.decision} by ${approval.by} at ${approval.at}${approval.comment ? `: ${approval.comment}` : ''}`);
  for (const r of approval.refused) lines.push(`refused   ${r.by || '(unknown)'} at ${r.at}: ${r.reason}`);
  if (status.canary.awaitingDecision) {
    lines.push(`held      ${status.canary.awaitingDecision} — decide with runway resume|promote|abort <id>`);
  } else if (status.paused) {
    lines.push('paused    the canary is held at its current weight (runway resume <id>)');
  }
  lines.push(...formatFreeze(status));
  for (const f of status.canary.failure ?? []) lines.push(`failed    ${f.signal}: ${f.detail}`);
  for (const c of status.controls ?? []) lines.push(`control   ${c.action} by ${c.by} at ${c.at}${c.reason ? `: ${c.reason}` : ''}`);
  if (status.outcomeReason) lines.push(`reason    ${status.outcomeReason}`);
  lines.push(...formatAnalysis(status.canary.analysis ?? []));
  lines.push(...formatWatch(status.verify));
  lines.push('', 'history');
  for (const event of status.history) lines.push(`  ${formatEvent(event)}`);
  return lines.join('\n');
}
