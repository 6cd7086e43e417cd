/**
 * A held lane's watch on its holder (activities/lane.ts `awaitRunClosed`, on a real dev server):
 * the server tells it when the run closes, so it does not ask every second. With 2,000 releases in
 * flight, each holding its lane while it waits hours for approval, one describe a second per lane
 * was 2,000 calls a second against the server (issue 20).
 */
import { getEventListeners } from 'node:events';
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLaneActivities } from '../../activities/lane';
import { createFakeActivities } from '../support/fake-activities';
import { quietLogger } from '../support/activity-env';
import { useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

it('learns that its holder closed from the server, asking it only once per wait while the run stays open', async () => {
  let describes = 0;
  const counting = new Client({
    connection: temporal.client.connection,
    interceptors: { workflow: [{ describe: (input, next) => (describes++, next(input)) }] },
  });
  const { awaitRunClosed } = createLaneActivities({ temporal: counting });
  await withWorker(createFakeActivities({ laneFree: true }).activities, async (taskQueue) => {
    const holder = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(holder, 'awaiting-approval');
    const { runId } = await holder.describe();
    const watch = new MockActivityEnvironment(undefined, { logger: quietLogger }).run(awaitRunClosed, { workflowId: holder.workflowId, runId: runId!, forMs: 10 * 60_000 });
    // The holder waits for approval for three seconds: a watch asking every second would ask three or four times.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await holder.terminate('test: the holder ends');
    await expect(watch).resolves.toEqual({ closed: true, status: 'TERMINATED' });
    // Once when it started, once when the server said the run closed.
    expect(describes).toBe(2);
  });
});

it('gives up at its deadline with the run still open, so the lane can look at its own history and wait again', async () => {
  // The watch's long polls, counted on their way to the server.
  let historyCalls = 0;
  const service = temporal.client.workflowService;
  const countingService = new Proxy(service, {
    get: (target, property, receiver) =>
      property === 'getWorkflowExecutionHistory'
        ? (request: Parameters<typeof service.getWorkflowExecutionHistory>[0]) => (historyCalls++, target.getWorkflowExecutionHistory(request))
        : Reflect.get(target, property, receiver),
  });
  const counting = new Proxy(temporal.client, { get: (target, property, receiver) => (property === 'workflowService' ? countingService : Reflect.get(target, property, receiver)) });
  // Each long poll is answered empty a second before its 2.5 s deadline, as the real 20 s ones are.
  const { awaitRunClosed } = createLaneActivities({ temporal: counting, options: { waitMs: 2500 } });
  await withWorker(createFakeActivities({ laneFree: true }).activities, async (taskQueue) => {
    const holder = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(holder, 'awaiting-approval');
    const { runId } = await holder.describe();
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const result = await env.run(awaitRunClosed, { workflowId: holder.workflowId, runId: runId!, forMs: 6000 });
    expect(result).toEqual({ closed: false });
    // Two or three long polls in those six seconds, one call each. Before, `handle.result()` asked
    // again at once after each empty answer, with under a second of its deadline left, which the
    // server answers at once: about 170 calls a second per held lane until the deadline.
    expect(historyCalls).toBeGreaterThanOrEqual(2);
    expect(historyCalls).toBeLessThanOrEqual(4);
    // And none left a listener on the activity's own signal (the client never removes the one it
    // adds per call, and a watch lives for hours: each kept its call alive).
    expect(getEventListeners(env.context.cancellationSignal, 'abort')).toHaveLength(0);
    await holder.terminate('test: done');
  });
});

