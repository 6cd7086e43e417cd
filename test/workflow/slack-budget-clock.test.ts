/**
 * The installation's Slack budget (workflows/slack-budget.ts) on a real dev server: an ask that
 * queued (its `askedAtMs` long past when the budget reads it, as with four workers and 2,000
 * releases) is given a time ahead of the budget's own clock, not ahead of the ask's. Set from the
 * ask's, the time was past when the answer arrived, the asker went at once, and another worker
 * answered meanwhile went at the same instant: Slack refused one of them (issue 20). And each
 * asker's lead — how long its answers take to reach it — is the one its send times get.
 */
import type { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createSlackSendTimes, slackBudgetStart } from '../../activities/slack-send-times';
import { ASKED_LEAD_BOUNDS_MS, SEND_TIME_LEAD_MS, slackLineOf } from '../../src/domain/slack-budget';
import { slackBudgetQuery, slackBudgetWorkflowId, slackSendTimeUpdate } from '../../src/domain/slack-budget-api';
import { createAnswerLead } from '../../src/domain/slack-budget-lead';
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

it("gives each asker the lead its answers need, within bounds, and answers with the time it set it from", async () => {
  const taskQueue = uniqueId('slack-budget-lead');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: {} });
  await worker.runUntil(async () => {
    const ask = (line: string, leadMs: number) =>
      temporal.client.workflow.executeUpdateWithStart(slackSendTimeUpdate, { args: [{ line, intervalMs: 1000, askedAtMs: Date.now(), leadMs }], startWorkflowOperation: slackBudgetStart(taskQueue) });

    // A worker whose last answers took up to 3.2 s asks for 4 s, and its measure takes in this answer.
    const measured = createAnswerLead();
    measured.record(3200);
    const delays: number[] = [];
    const lead = { leadMs: () => measured.leadMs(), record: (delayMs: number) => (delays.push(delayMs), measured.record(delayMs)) };
    const sendTimes = createSlackSendTimes({ temporal: temporal.client, taskQueue, lead });
    const before = Date.now();
    const atMs = await sendTimes.sendTime(slackLineOf('post', '#slow'), 1000);
    expect(atMs).toBeGreaterThanOrEqual(before + 4000);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThan(Date.now() - before + 1);

    // Its answer says what the time was set from.
    const quick = await ask(slackLineOf('post', '#quick'), 700);
    expect(quick.atMs - quick.fromMs!).toBe(700);

    // No lead below half a second or above 5 s, whatever the asker names.
    expect((await ask(slackLineOf('post', '#instant'), 0)).atMs).toBeGreaterThanOrEqual(Date.now() - 1000 + ASKED_LEAD_BOUNDS_MS.min);
    const capped = await ask(slackLineOf('post', '#crawl'), 60_000);
    expect(capped.atMs - capped.fromMs!).toBe(ASKED_LEAD_BOUNDS_MS.max);

    // A lead that is not a number is refused by name, and hands out nothing.
    const refusal = await ask(slackLineOf('post', '#bad'), Number.NaN).then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);
    expect(refusal).toMatch(/leadMs must be a number/);
    const state = await temporal.client.workflow.getHandle(slackBudgetWorkflowId(taskQueue)).query(slackBudgetQuery);
    expect(state.granted).toBe(4);
    expect(Object.keys(state.lines)).not.toContain(slackLineOf('post', '#bad'));
  });
  recordHistory(slackBudgetWorkflowId(taskQueue), 'slack-budget-askers-lead');
});
