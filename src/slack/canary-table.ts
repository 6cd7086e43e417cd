/**
 * The canary part of the release message: one row per step with its weight, verdict and the
 * numbers it was judged on, and the signal that stopped it. Numbers are shown as measured;
 * a missing number reads "n/a", never 0 (no data is not a good result).
 */
import { escapeMrkdwn } from './escape';

export interface CanaryRow {
  /** 1-based step number. */
  step: number;
  /** Requested traffic weight, percent. */
  weight: number;
  /** Share of tasks the canary really had, percent. */
  actualWeight?: number;
  verdict: 'baking' | 'pass' | 'fail' | 'inconclusive' | 'paused' | 'skipped';
  /** Canary error rate as a fraction (0.002 = 0.2 %). */
  errorRate?: number;
  canaryP99Ms?: number;
  stableP99Ms?: number;
  requests?: number;
}

export interface CanaryFailure {
  /** e.g. "error-rate", "p99-latency", "crashed-tasks". */
  signal: string;
  /** The values and the threshold, e.g. "canary 4.1 % > 1 %". */
  detail: string;
}

const ICON: Record<CanaryRow['verdict'], string> = {
  baking: ':hourglass_flowing_sand:',
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':grey_question:',
  paused: ':double_vertical_bar:',
  skipped: ':fast_forward:',
};

const orNa = (value: number | undefined, show: (v: number) => string) => (value === undefined ? 'n/a' : show(value));
const percent = (fraction: number) => `${(fraction * 100).toFixed(2)} %`;

function row(r: CanaryRow): string {
  const weight = r.actualWeight !== undefined && r.actualWeight !== r.weight ? `${r.weight} % (${r.actualWeight} % of tasks)` : `${r.weight} %`;
  const numbers = [
    `errors ${orNa(r.errorRate, percent)}`,
    `p99 ${orNa(r.canaryP99Ms, (v) => `${Math.round(v)} ms`)} vs stable ${orNa(r.stableP99Ms, (v) => `${Math.round(v)} ms`)}`,
    `${orNa(r.requests, (v) => String(Math.round(v)))} req`,
  ].join(' · ');
  return `${ICON[r.verdict]} step ${r.step}: ${weight} — ${r.verdict} — ${numbers}`;
}

/** Markdown for the canary section, or undefined when there is nothing to show yet. */
export function canaryTable(rows: CanaryRow[] | undefined, failure: CanaryFailure | undefined): string | undefined {
  if ((!rows || rows.length === 0) && !failure) return undefined;
  const lines = ['*Canary*', ...(rows ?? []).map(row)];
  if (failure) lines.push(`:rotating_light: stopped by *${escapeMrkdwn(failure.signal)}*: ${escapeMrkdwn(failure.detail)}`);
  return lines.join('\n');
}
