/**
 * What the Temporal Web UI shows as the workflow's current details (markdown), in the order an
 * operator needs it (issue 19): the outcome and its reason once there is one; then the stage, who
 * must approve and until when, or who approved; then the canary step, the post-release watch and
 * the latest analysis numbers; last, the latest event. The UI (2.42 and 2.58 alike) shows this in
 * an iframe of the browser's default 150 px: about seven lines. So what matters most comes
 * first, and each item is one line (hard line breaks, not paragraphs, whose margins cost lines).
 */
import { weightText } from '../../src/domain/canary-plan';
import { type ApprovalRecord, type MeasurementRecord, type ReleasePlan, type ReleaseResult, ReleaseStage, type ReleaseStatus } from '../../src/domain/release';

const pct = (fraction: number | undefined) => (fraction === undefined ? '?' : `${(fraction * 100).toFixed(2)}%`);
const ms = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} ms`);
/** "2026-12-03 11:58:03 UTC": an ISO instant as the UI's reader scans it. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

const OUTCOME_TITLES: Record<ReleaseResult, string> = {
  released: 'Released',
  'rolled-back': 'Rolled back',
  rejected: 'Rejected',
  failed: 'Failed',
};

/** A CommonMark hard line break: the next item starts a line without a paragraph's margins. */
const LINE_BREAK = '\\\n';

/** The latest measurement; with `withNotes`, the signals that did not pass on lines of their own. */
function latestNumbers(m: MeasurementRecord, reference: string, withNotes: boolean): string[] {
  const numbers = `errors ${pct(m.errorRate)} (${reference} ${pct(m.stableErrorRate)}), p99 ${ms(m.p99Ms)} (${reference} ${ms(m.stableP99Ms)}), ${m.requests === undefined ? '?' : Math.round(m.requests)} requests, ${m.crashedTasks} crashed`;
  return [`**Analysis** ${m.verdict} at ${m.at.slice(11, 19)}: ${numbers}`, ...(withNotes ? m.notes : [])];
}

/** Who must approve, until when, and how; `plan` absent (older callers): who only from the history. */
function waitingForApproval(s: ReleaseStatus, plan: ReleasePlan | undefined): string {
  const asked = [...s.history].reverse().find((e) => e.stage === ReleaseStage.awaitingApproval);
  if (!plan) return `**Waiting for approval** ${asked?.message ?? ''}`.trimEnd();
  const { approval } = plan;
  const who = [...approval.approvers, ...(approval.groups ?? []).map((g) => `members of ${g}`)].join(', ');
  const needed = approval.requiredApprovals ?? 1;
  const sofar = s.approval.approvals?.length ?? 0;
  const count = needed > 1 ? ` (${sofar} of ${needed} approvals)` : '';
  const deadline = asked ? ` until ${when(new Date(Date.parse(asked.at) + approval.timeoutMs).toISOString())}, then rejected` : '';
  // The release id last: the UI's narrow frame wraps it without pushing anything out of view.
  return `**Waiting for approval** from ${who}${count}${deadline}${LINE_BREAK}**Decide** in Slack ${approval.channel}, or \`runway approve|reject ${s.releaseId} --as NAME\``;
}

function decided(a: ApprovalRecord): string | undefined {
  if (!a.decision || !a.by) return undefined;
  // With several approvals required, `by` names them all.
  return `**${a.decision === 'approved' ? 'Approved' : 'Rejected'}** by ${a.by}${a.at ? ` at ${when(a.at)}` : ''}${a.comment ? `: ${a.comment}` : ''}`;
}

export function currentDetails(s: ReleaseStatus, plan?: ReleasePlan): string {
  const parts: string[] = [];
  if (s.result) {
    parts.push(`**${OUTCOME_TITLES[s.result]}**${s.outcomeReason ? ` — ${s.outcomeReason}` : ''}${s.finishedAt ? ` (${when(s.finishedAt)})` : ''}`);
  } else {
    const held = s.canary.awaitingDecision ? ' (held: a human must decide)' : s.paused ? ' (paused by an operator)' : '';
    parts.push(`**Stage** ${s.stage}${held}`);
    if (s.stage === ReleaseStage.awaitingApproval) parts.push(waitingForApproval(s, plan));
  }
  const decision = decided(s.approval);
  if (decision) parts.push(decision);
  if (s.canary.step > 0) parts.push(`**Canary** step ${s.canary.step} of ${s.canary.steps.length}: ${weightText(s.canary.weight, s.canary.actualWeight)}`);
  const watch = s.verify;
  const watchLatest = watch?.measurements.at(-1);
  if (watch?.startedAt) parts.push(`**Post-release watch** ${Math.round(watch.durationMs / 1000)} s, until ${watch.endsAt?.slice(11, 19)}: ${watch.measurements.length} measurement(s)`);
  if (s.canary.awaitingDecision) parts.push(`**Why held** ${s.canary.awaitingDecision}`);
  const failures = [...(s.canary.failure ?? []), ...(watch?.failure ?? [])];
  for (const f of failures) parts.push(`**Failed** ${f.signal}: ${f.detail}`);
  const latest = s.canary.analysis?.at(-1)?.measurements.at(-1);
  // The failing signals are listed above already; otherwise a measurement's notes say what did not pass.
  if (watchLatest) parts.push(...latestNumbers(watchLatest, 'baseline', failures.length === 0));
  else if (latest) parts.push(...latestNumbers(latest, 'stable', failures.length === 0));
  if (!s.result) parts.push(`**Latest** ${s.history[s.history.length - 1]?.message ?? ''}`);
  return parts.join(LINE_BREAK);
}
