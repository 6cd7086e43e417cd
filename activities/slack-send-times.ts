/**
 * A worker's side of the installation's Slack budget (workflows/slack-budget.ts): asks it for a
 * send time before each Slack write (update-with-start, so the budget is started by whoever asks
 * first), with the lead its answers need to arrive in time (src/domain/slack-budget-lead.ts), and
 * tells it about a 429, so every worker waits out Slack's Retry-After. A budget run that
 * is closing down refuses; the next run is asked.
 */
import { type Client, WithStartWorkflowOperation, type Workflow } from '@temporalio/client';
import { SLACK_BUDGET_WORKFLOW_TYPE, type SlackBudgetInput, slackBudgetWorkflowId, slackRateLimitedUpdate, slackSendTimeUpdate } from '../src/domain/slack-budget-api';
import { CLOSING_RETRIES, CLOSING_RETRY_MS, refusedWhileClosing } from './github-record-hand-over';
import type { SharedSlackBudget } from './slack-pacer';
import { SHARED_WORKFLOW_PRIORITY } from '../src/domain/shared-workflow-priority';
import { type AnswerLead, createAnswerLead } from '../src/domain/slack-budget-lead';

/**
 * How long one ask may take before the worker goes on at its own pace (for a while: see
 * SOLO_AFTER_MISS_MS in ./slack-pacer.ts). The budget's answer waits for one of its workflow tasks,
 * which queue behind the releases' own under load: with 5 s, four workers and 500 releases missed
 * 334 of 1,242 answers (2026-12-06), and each miss let a worker call Slack at a time no other knew
 * of (90 calls refused). A call waits its turn in Slack's pace for minutes at such loads anyway.
 */
const ASK_DEADLINE_MS = 30_000;

/** Starts the installation's budget unless it runs: every ask is an update-with-start. */
export function slackBudgetStart(taskQueue: string): WithStartWorkflowOperation<Workflow> {
  return new WithStartWorkflowOperation(SLACK_BUDGET_WORKFLOW_TYPE, {
    workflowId: slackBudgetWorkflowId(taskQueue),
    taskQueue,
    args: [{} satisfies SlackBudgetInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Slack budget: send times for every worker of this installation',
    priority: SHARED_WORKFLOW_PRIORITY,
  });
}

export function createSlackSendTimes({
  temporal,
  taskQueue,
  lead = createAnswerLead(),
}: {
  temporal: Client;
  taskQueue: string;
  /** This worker's measure of how long the budget's answers take to reach it: each ask asks for its lead. */
  lead?: AnswerLead;
}): SharedSlackBudget {
  const ask = async <T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    // Bounded: a budget with no worker to run it (all of them restarting) must not hold Slack up; the pacer then keeps its own pace.
    const bounded = () => temporal.connection.withDeadline(Date.now() + ASK_DEADLINE_MS, call);
    for (let attempt = 1; ; attempt++) {
      try {
        return await (signal ? temporal.connection.withAbortSignal(signal, bounded) : bounded());
      } catch (err) {
        if (!refusedWhileClosing(err) || attempt >= CLOSING_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, CLOSING_RETRY_MS));
      }
    }
  };
  return {
    async sendTime(line, intervalMs, signal) {
      const request = { line, intervalMs, askedAtMs: Date.now(), leadMs: lead.leadMs() };
      const { atMs, fromMs } = await ask(() => temporal.workflow.executeUpdateWithStart(slackSendTimeUpdate, { args: [request], startWorkflowOperation: slackBudgetStart(taskQueue) }), signal);
      // A budget run from before the askers' lead says nothing to measure from.
      if (fromMs !== undefined) lead.record(Date.now() - fromMs);
      return atMs;
    },
    async rateLimited(line, untilMs) {
      await ask(() => temporal.workflow.executeUpdateWithStart(slackRateLimitedUpdate, { args: [{ line, untilMs }], startWorkflowOperation: slackBudgetStart(taskQueue) }));
    },
  };
}
