/**
 * The scale bench's reading of the workers' Slack budget answers (bench/support/slack-budget-answers.ts)
 * from the SDK exporter's histogram, as a worker's /metrics prints it.
 */
import { describeSlackBudgetAnswers, slackBudgetAnswersIn } from '../../bench/support/slack-budget-answers';

const METRICS = (answer: string, buckets: number[], sum: number, count: number) => {
  const les = ['50', '100', '500', '1000', '2500', '10000', '+Inf'];
  const tags = `activity_type="updateReleaseMessage",answer="${answer}",namespace="default",task_queue="runway"`;
  return [
    ...les.map((le, i) => `runway_slack_budget_answer_ms_bucket{${tags},le="${le}"} ${buckets[i]}`),
    `runway_slack_budget_answer_ms_sum{${tags}} ${sum}`,
    `runway_slack_budget_answer_ms_count{${tags}} ${count}`,
  ].join('\n');
};

it('counts the answers by kind from the histogram, with their mean time and how many came within 0.5, 2.5 and 10 s', () => {
  const text = [
    '# HELP runway_slack_budget_answer_ms asks of the Slack budget',
    '# TYPE runway_slack_budget_answer_ms histogram',
    METRICS('in-time', [1, 5, 8, 8, 8, 8, 8], 1500, 8),
    METRICS('missed', [0, 0, 0, 0, 0, 0, 2], 60_000, 2),
    'temporal_request{operation="Poll"} 3',
  ].join('\n');
  const answers = slackBudgetAnswersIn(text);
  expect(answers.count).toEqual({ 'in-time': 8, late: 0, missed: 2, overslept: 0 });
  expect(describeSlackBudgetAnswers(answers)).toBe('in time 8, late 0, missed 2, overslept 0; mean 6.15 s, 80 % within 0.5 s, 80 % within 2.5 s, 80 % within 10 s');
});
