/**
 * What the Temporal Web UI shows as the workflow's current details (markdown): the stage, the
 * canary step and weight, the post-release watch's window, the latest analysis numbers, and the
 * last thing that happened.
 */
import { weightText } from '../../src/domain/canary-plan';
import type { MeasurementRecord, ReleaseStatus } from '../../src/domain/release';

const pct = (fraction: number | undefined) => (fraction === undefined ? '?' : `${(fraction * 100).toFixed(2)}%`);
const ms = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} ms`);

function latestNumbers(m: MeasurementRecord, reference = 'stable'): string {
  const numbers = `errors ${pct(m.errorRate)} (${reference} ${pct(m.stableErrorRate)}), p99 ${ms(m.p99Ms)} (${reference} ${ms(m.stableP99Ms)}), ${m.requests ?? '?'} requests, ${m.crashedTasks} crashed`;
  return `**Analysis** ${m.verdict} at ${m.at.slice(11, 19)}: ${numbers}${m.notes.length ? `\n\n${m.notes.join('\n\n')}` : ''}`;
}

export function currentDetails(s: ReleaseStatus): string {
  const held = s.canary.awaitingDecision ? ' (held: a human must decide)' : s.paused ? ' (paused by an operator)' : '';
  const parts = [`**Stage** ${s.stage}${held}`];
  if (s.canary.step > 0) parts.push(`**Canary** step ${s.canary.step}/${s.canary.steps.length}: ${weightText(s.canary.weight, s.canary.actualWeight)}`);
  const watch = s.verify;
  const watchLatest = watch?.measurements.at(-1);
  if (watch?.startedAt) parts.push(`**Post-release watch** ${Math.round(watch.durationMs / 1000)} s, until ${watch.endsAt?.slice(11, 19)}: ${watch.measurements.length} measurement(s)`);
  const latest = s.canary.analysis?.at(-1)?.measurements.at(-1);
  if (watchLatest) parts.push(latestNumbers(watchLatest, 'baseline'));
  else if (latest) parts.push(latestNumbers(latest));
  if (s.canary.awaitingDecision) parts.push(`**Why held** ${s.canary.awaitingDecision}`);
  for (const f of [...(s.canary.failure ?? []), ...(watch?.failure ?? [])]) parts.push(`**Failed** ${f.signal}: ${f.detail}`);
  parts.push(s.history[s.history.length - 1]?.message ?? '');
  return parts.join('\n\n');
}
