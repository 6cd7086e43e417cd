/**
 * The installation's Slack budget (workflows/slack-budget.ts) on a real dev server: an ask that
 * queued (its `askedAtMs` long past when the budget reads it, as with four workers and 2,000
 * releases) is given a time ahead of the budget's own clock, not ahead of the ask's. Set from the
 * ask's, the time was past when the answer arrived, the asker went at once, and another worker
 * answered meanwhile went at the same instant: Slack refused one of them (issue 20).
 */
import { Worker } from '@temporalio/worker';
import { slackBudgetStart } from '../../activities/slack-send-times';
import { SEND_TIME_LEAD_MS, slackLineOf } from '../../src/domain/slack-budget';
import { slackBudgetWorkflowId, slackSendTimeUpdate } from '../../src/domain/slack-budget-api';
import { recordHistory } from '../support/record-history';
import { testNativeConnection, uniqueId, useTestClient, workflowBundle } from '../support/temporal';

const temporal = useTestClient();

it("an ask that queued for 30 s gets a send time a lead ahead of the budget's clock, so its answer can still keep it", async () => {
  const taskQueue = uniqueId('slack-budget-clock');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: {} });
  const line = slackLineOf('post', '#deploys');
  await worker.runUntil(async () => {
    const ask = (askedAtMs: number) =>
      temporal.client.workflow.executeUpdateWithStart(slackSendTimeUpdate, { args: [{ line, intervalMs: 1000, askedAtMs }], startWorkflowOperation: slackBudgetStart(taskQueue) });
    const before = Date.now();
    const queued = await ask(before - 30_000);
    // From the ask's own clock this was before - 29,500: gone before the answer came.
    expect(queued.atMs).toBeGreaterThanOrEqual(before + SEND_TIME_LEAD_MS);
    // The line moves on from there for the next asker, whatever its clock says.
    const next = await ask(Date.now() - 30_000);
    expect(next.atMs).toBeGreaterThanOrEqual(queued.atMs + 1000);
  });
  recordHistory(slackBudgetWorkflowId(taskQueue), 'slack-budget-answers-in-time');
});
