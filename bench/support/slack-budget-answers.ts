/**
 * How the installation's Slack budget answered the workers' asks during a run, summed over every
 * worker's /metrics (activities/slack.ts records them): `in-time` answers keep the workers to
 * Slack's pace together; `late` and `missed` ones are what lets a call go at a time no other
 * worker knew of — the likely source of 429s with several workers — and `overslept` turns, calls
 * that woke past their turn and asked again. Also how long the answers took.
 */
import { SLACK_BUDGET_ANSWERS_METRIC } from '../../activities/slack';
import type { SharedBudgetAnswer } from '../../activities/slack-pacer';
import { promSamples } from './prom-samples';
import { readEveryWorkerMetrics, type WorkerProcess } from './worker-process';

export interface SlackBudgetAnswers {
  count: Record<SharedBudgetAnswer, number>;
  /** Summed answer time of all asks (ms). */
  totalMs: number;
  /** How many asks were answered (or given up) within each bucket's bound in ms, all answers together. */
  within: Map<string, number>;
}

function none(): SlackBudgetAnswers {
  return { count: { 'in-time': 0, late: 0, missed: 0, overslept: 0 }, totalMs: 0, within: new Map() };
}

function add(into: SlackBudgetAnswers, more: SlackBudgetAnswers): void {
  for (const key of Object.keys(into.count) as SharedBudgetAnswer[]) into.count[key] += more.count[key];
  into.totalMs += more.totalMs;
  for (const [le, n] of more.within) into.within.set(le, (into.within.get(le) ?? 0) + n);
}

/** The answers recorded in one /metrics body. */
export function slackBudgetAnswersIn(text: string): SlackBudgetAnswers {
  const answers = none();
  for (const { name, labels, value } of promSamples(text)) {
    const answer = labels.answer as SharedBudgetAnswer | undefined;
    if (!answer || !(answer in answers.count)) continue;
    if (name === `${SLACK_BUDGET_ANSWERS_METRIC}_count`) answers.count[answer] += value;
    // Times are the answers' own: an overslept turn's value is how far past its turn the call woke.
    else if (answer === 'overslept') continue;
    else if (name === `${SLACK_BUDGET_ANSWERS_METRIC}_sum`) answers.totalMs += value;
    else if (name === `${SLACK_BUDGET_ANSWERS_METRIC}_bucket` && labels.le) answers.within.set(labels.le, (answers.within.get(labels.le) ?? 0) + value);
  }
  return answers;
}

/** Summed over the workers; a worker whose /metrics cannot be read makes the sums unknown (undefined). */
export async function readSlackBudgetAnswers(workers: WorkerProcess[]): Promise<SlackBudgetAnswers | undefined> {
  const texts = await readEveryWorkerMetrics(workers);
  if (!texts) return undefined;
  const total = none();
  for (const text of texts) add(total, slackBudgetAnswersIn(text));
  return total;
}

/** One line for the bench's output: the answers by kind, their mean time, and how many came within a few bounds. */
export function describeSlackBudgetAnswers({ count, totalMs, within }: SlackBudgetAnswers): string {
  const asks = count['in-time'] + count.late + count.missed;
  if (asks === 0) return 'no asks';
  const bounds = ['500', '2500', '10000']
    .filter((le) => within.has(le))
    .map((le) => `${Math.round((100 * within.get(le)!) / asks)} % within ${Number(le) / 1000} s`);
  return `in time ${count['in-time']}, late ${count.late}, missed ${count.missed}, overslept ${count.overslept}; mean ${(totalMs / asks / 1000).toFixed(2)} s, ${bounds.join(', ')}`;
}
