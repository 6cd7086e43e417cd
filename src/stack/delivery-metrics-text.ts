/**
 * The runway_* series `runway worker` serves on /metrics (issue 19): the delivery ledger's totals
 * and the releases in flight, rendered in Prometheus text format. Several workers therefore
 * expose the same delivery series: summed per worker they would multiply, so aggregate them with
 * `max without (instance)` (README, "Delivery metrics").
 */
import type { Client } from '@temporalio/client';
import { deliveryLedgerId } from '../domain/delivery-api';
import { renderDeliveryMetrics } from '../metrics/delivery-exposition';
import { readDeliveryLedger, releasesInFlightByStage } from '../release-client/delivery';

/**
 * The runway_* series for /metrics; when the ledger or the visibility store does not answer,
 * `runway_delivery_ledger_up 0` and a comment saying why, never a failed scrape (the SDK's own
 * metrics still matter then).
 */
export async function deliveryMetricsText(client: Client, taskQueue: string): Promise<string> {
  const up = (v: 0 | 1) => `# HELP runway_delivery_ledger_up Whether this worker could read the delivery ledger for this scrape.\n# TYPE runway_delivery_ledger_up gauge\nrunway_delivery_ledger_up ${v}\n`;
  // The in-flight counts need the RunwayStage search attribute (runway setup); without them the ledger's totals still count.
  const [snapshot, inFlight] = await Promise.allSettled([readDeliveryLedger(client, taskQueue), releasesInFlightByStage(client, taskQueue)]);
  const why = (r: PromiseRejectedResult) => String((r.reason as Error)?.message ?? r.reason).replace(/\n/g, ' ');
  const inFlightNote = inFlight.status === 'rejected' ? `# releases in flight by stage could not be counted: ${why(inFlight)}\n` : '';
  if (snapshot.status === 'rejected') return `# the delivery ledger ${deliveryLedgerId(taskQueue)} did not answer: ${why(snapshot)}\n${inFlightNote}${up(0)}`;
  return renderDeliveryMetrics(snapshot.value.totals, inFlight.status === 'fulfilled' ? inFlight.value : undefined) + inFlightNote + up(1);
}
