/**
 * The delivery ledger (issue 19): one durable workflow per task queue, `runway-delivery:<queue>`,
 * that counts every release and rollback of the queue once, when it has ended, and keeps the
 * running totals of Runway's delivery metrics as its state. Every worker starts it (the start
 * finds the running one) and answers /metrics from its `deliveryTotals` query, so the figures
 * survive worker crashes, several workers give the same figures, and a replay counts nothing
 * twice: the totals change only when an activity result is applied, which the history records
 * once.
 *
 * It reads what ended from Temporal's visibility store, oldest close time first, moving a
 * watermark (the close time of the last run counted, with the runs counted at exactly that
 * time), and continues as new with its totals when the history grows long.
 */
import { continueAsNew, makeContinueAsNewFunc, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities/delivery';
import { type DeliveryLedgerInput, type DeliveryLedgerSnapshot, deliveryTotalsQuery } from '../src/domain/delivery-api';
import { addFacts, emptyTotals } from '../src/domain/delivery-metrics';

const { collectEndedReleases } = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

export async function deliveryLedger(input: DeliveryLedgerInput = {}): Promise<never> {
  const totals = input.totals ?? emptyTotals();
  // The first run counts from when it started: releases that ended before Runway kept a ledger are not back-filled.
  let watermarkMs = input.watermarkMs ?? workflowInfo().runStartTime.getTime();
  let countedAtWatermark = input.countedAtWatermark ?? [];
  const { taskQueue } = workflowInfo();
  const historyLimit = input.historyLimit ?? 2000;
  const snapshot = (): DeliveryLedgerSnapshot => ({ totals, countedUntil: new Date(watermarkMs).toISOString() });
  setHandler(deliveryTotalsQuery, snapshot);

  for (;;) {
    const page = await collectEndedReleases({ taskQueue, afterMs: watermarkMs, countedAtAfter: countedAtWatermark });
    const already = new Set(countedAtWatermark);
    for (const facts of page.facts) if (!already.has(`${facts.workflowId}/${facts.runId}`)) addFacts(totals, facts);
    watermarkMs = page.watermarkMs;
    countedAtWatermark = page.countedAtWatermark;
    const info = workflowInfo();
    // Continue as new when the history grows, and when another Runway build became current (a run
    // is pinned to its build; the next one starts on the current one, so old builds can retire).
    if (info.continueAsNewSuggested || info.historyLength > historyLimit || info.targetWorkerDeploymentVersionChanged) {
      const next: DeliveryLedgerInput = { ...input, totals, watermarkMs, countedAtWatermark };
      if (info.currentDeploymentVersion === undefined) await continueAsNew<typeof deliveryLedger>(next);
      await makeContinueAsNewFunc<typeof deliveryLedger>({ initialVersioningBehavior: 'AUTO_UPGRADE' })(next);
    }
    if (!page.more) await sleep(input.pollMs ?? 15_000);
  }
}
