/**
 * The installation's shared workflows go before the releases on a busy task queue (issue 20,
 * src/domain/shared-workflow-priority.ts): each one is started, through the path production uses, with
 * priority key 1 while releases keep the default; and the dev server the suite runs on (started by
 * startDevServer, with the priority matcher on) dispatches a shared workflow's first task before a
 * backlog of releases' tasks that were queued ahead of it.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { writerStart } from '../../activities/github-record-hand-over';
import { createLaneActivities } from '../../activities/lane';
import { createSlackSendTimes } from '../../activities/slack-send-times';
import { deliveryLedgerId } from '../../src/domain/delivery-api';
import { freezeWorkflowId } from '../../src/domain/freeze-api';
import { GITHUB_WRITE_BUDGET } from '../../src/domain/github-write-budget';
import { gitHubWriteSlotUpdate, gitHubWriterWorkflowId } from '../../src/domain/github-writer-api';
import { laneWorkflowId } from '../../src/domain/lane-api';
import { slackBudgetWorkflowId } from '../../src/domain/slack-budget-api';
import { ensureDeliveryLedger } from '../../src/release-client/delivery';
import { startFreeze } from '../../src/release-client/freeze';
import { createFakeActivities } from '../support/fake-activities';
import { testNativeConnection, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

const priorityKeyOf = async (handle: WorkflowHandle): Promise<number> => (await handle.describe()).raw.workflowExecutionInfo?.priority?.priorityKey ?? 0;

/** When the run's first workflow task was handed to a worker (its first WorkflowTaskStarted event). */
async function firstTaskStartedMs(client: Client, workflowId: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events?.find((e) => e.eventType === proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    if (started?.eventTime) return Number(started.eventTime.seconds) * 1000 + Math.floor((started.eventTime.nanos ?? 0) / 1e6);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${workflowId} never had a workflow task started`);
}

describe('shared workflows and task priority', () => {
  it('starts every shared workflow with priority key 1, and releases with the default', async () => {
    const fake = createFakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const client = temporal.client;
      await createLaneActivities({ temporal: client }).enterLane({ taskQueue, service: 'checkout', request: { workflowId: uniqueId('release-checkout'), kind: 'release', mode: 'queue' } });
      await createSlackSendTimes({ temporal: client, taskQueue }).sendTime('update', 1200);
      await client.workflow.executeUpdateWithStart(gitHubWriteSlotUpdate, { args: [{ purpose: 'priority test', budget: GITHUB_WRITE_BUDGET }], startWorkflowOperation: writerStart(taskQueue) });
      await startFreeze(client, taskQueue, { reason: 'priority test', by: 'alice' });
      await ensureDeliveryLedger(client, taskQueue);
      const release = await startReleaseWorkflow(client, taskQueue, releaseInput());

      const shared = [laneWorkflowId(taskQueue, 'checkout'), slackBudgetWorkflowId(taskQueue), gitHubWriterWorkflowId(taskQueue), freezeWorkflowId(taskQueue), deliveryLedgerId(taskQueue)];
      const keys = await Promise.all(shared.map((id) => priorityKeyOf(client.workflow.getHandle(id))));
      expect(Object.fromEntries(shared.map((id, i) => [id, keys[i]]))).toEqual(Object.fromEntries(shared.map((id) => [id, 1])));
      // 0: unset, the server's default (3) applies.
      expect(await priorityKeyOf(release)).toBe(0);
      await Promise.allSettled([release, ...shared.map((id) => client.workflow.getHandle(id))].map((h) => h.terminate('test over')));
    });
  });

  it('hands a shared workflow its task before the releases queued ahead of it', async () => {
    const client = temporal.client;
    const taskQueue = uniqueId('priority');
    // No worker yet: every release's first workflow task waits in the queue's backlog.
    const backlog = await Promise.all(
      Array.from({ length: 24 }, () => client.workflow.start('release', { workflowId: uniqueId('release-backlog'), taskQueue, args: [releaseInput()] })),
    );
    // Started last, through the production path; its update is answered once a worker runs it.
    const freeze = startFreeze(client, taskQueue, { reason: 'priority test', by: 'alice' });
    const freezeId = freezeWorkflowId(taskQueue);
    for (let i = 0; i < 100 && !(await client.workflow.getHandle(freezeId).describe().then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));

    // Few tasks at a time (the least the SDK allows with a cache), so tasks start in about the order they are handed out.
    const worker = await Worker.create({
      connection: await testNativeConnection(),
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: createFakeActivities({ laneFree: true }).activities,
      maxConcurrentWorkflowTaskExecutions: 2,
    });
    const [freezeStartedMs, ...releasesStartedMs] = await worker.runUntil(async () => {
      await freeze;
      const startedMs = await Promise.all([freezeId, ...backlog.map((h) => h.workflowId)].map((id) => firstTaskStartedMs(client, id)));
      // Ended before the worker stops: it waits for their activities otherwise.
      await Promise.allSettled([...backlog, client.workflow.getHandle(freezeId)].map((h) => h.terminate('test over')));
      return startedMs as [number, ...number[]];
    });
    const releasesFirst = releasesStartedMs.filter((ms) => ms < freezeStartedMs).length;
    // First in, first out, the freeze's task would come after most of the 24 (about all of its
    // partition's); with priority, after at most a few (the dev server's queue has 4 partitions).
    expect(releasesFirst).toBeLessThan(backlog.length / 2);
  });
});
