/**
 * The delivery ledger on a real dev server (issue 19): it counts each ended release once — a
 * released one, a rejected one and one terminated without an outcome — from the visibility
 * store, keeps counting nothing twice when its worker is replaced (a new worker replays its
 * history) and when it continues as new, and its totals are what the worker's /metrics renders.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { approveUpdate, rejectUpdate } from '../../src/domain/release-api';
import type { DeliveryTotals } from '../../src/domain/delivery-metrics';
import { renderDeliveryMetrics } from '../../src/metrics/delivery-exposition';
import { DELIVERY_LEDGER_WORKFLOW_TYPE, type DeliveryLedgerSnapshot, deliveryLedgerId, deliveryTotalsQuery } from '../../src/domain/delivery-api';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { testNativeConnection, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never: ${what}`);
}

async function runWorker<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const fake = createFakeActivities({ laneFree: true });
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities: fake.activities });
  return worker.runUntil(fn());
}

const snapshotOf = (ledger: WorkflowHandle) => () => ledger.query(deliveryTotalsQuery) as Promise<DeliveryLedgerSnapshot>;

async function endThree(client: Client, taskQueue: string): Promise<void> {
  const released = await startReleaseWorkflow(client, taskQueue, releaseInput(samplePlan()));
  await untilStage(released, 'awaiting-approval');
  await released.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  await releaseOutcome(released);
  const rejected = await startReleaseWorkflow(client, taskQueue, releaseInput(samplePlan()));
  await untilStage(rejected, 'awaiting-approval');
  await rejected.executeUpdate(rejectUpdate, { args: [{ by: 'alice', reason: 'not today' }] });
  await releaseOutcome(rejected);
  const terminated = await startReleaseWorkflow(client, taskQueue, releaseInput(samplePlan()));
  await untilStage(terminated, 'awaiting-approval');
  await terminated.terminate('test: ended without an outcome');
}

describe('the delivery ledger', () => {
  it('counts each ended release once, across a worker replaced and continue-as-new', async () => {
    const taskQueue = uniqueId('ledger');
    const ledger = await temporal.client.workflow.start(DELIVERY_LEDGER_WORKFLOW_TYPE, {
      workflowId: deliveryLedgerId(taskQueue),
      taskQueue,
      // Short polls, and a history limit the test passes several times.
      args: [{ pollMs: 200, historyLimit: 40 }],
    });
    const first = await runWorker(taskQueue, async () => {
      await endThree(temporal.client, taskQueue);
      return until(snapshotOf(ledger), (s) => s.totals.counted >= 3, 'three counted');
    });
    const t: DeliveryTotals = first.totals;
    expect(t.counted).toBe(3);
    expect(t.ended).toEqual({
      'release|checkout|production|released': 1,
      'release|checkout|staging|rejected': 1,
      'release|checkout|none|no-outcome': 1,
    });
    expect(t.rollbacks).toEqual({});
    expect(t.approvalWait.checkout.count).toBe(2);
    expect(t.duration['release|checkout|released'].count).toBe(1);
    expect(Object.keys(t.stage).sort()).toEqual(expect.arrayContaining(['checkout|awaiting-approval', 'checkout|canary', 'checkout|staging']));

    // Another worker takes over (replaying the ledger's history), polls many times and continues as new: nothing is counted again.
    const later = await runWorker(taskQueue, async () => {
      const runBefore = (await ledger.describe()).runId;
      // Usually within seconds. Bounded at 150 s: had the old worker shut down without reporting the
      // ledger's activity, it is retried only after its 1-minute heartbeat timeout (once, in CI's
      // second pass, 60 s was not enough), and the question here is what is counted, not how fast.
      await until(async () => (await ledger.describe()).runId, (r) => r !== runBefore, 'a continue-as-new', 1500);
      await new Promise((r) => setTimeout(r, 1500));
      return snapshotOf(ledger)();
    });
    expect(later.totals).toEqual(first.totals);
    await ledger.terminate('test done');

    const text = renderDeliveryMetrics(later.totals);
    expect(text).toContain('runway_releases_total{service="checkout",environment="production",result="released"} 1');
    expect(text).toContain('runway_releases_total{service="checkout",environment="none",result="no-outcome"} 1');
    expect(text).toContain('runway_approval_wait_seconds_count{service="checkout"} 2');
    expect(text).toContain('runway_delivery_ledger_counted_total 3');
  }, 240_000);
});
