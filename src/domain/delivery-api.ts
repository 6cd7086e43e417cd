/**
 * The delivery ledger's public surface (issue 19): its id, input and query. One ledger per task
 * queue: `runway-delivery:<taskQueue>`. Imported by the ledger workflow, the worker (which starts
 * it and renders /metrics from its query) and tests. Deterministic: no I/O here.
 */
import { defineQuery } from '@temporalio/workflow';
import type { DeliveryTotals } from './delivery-metrics';

export const DELIVERY_LEDGER_WORKFLOW_TYPE = 'deliveryLedger';

export function deliveryLedgerId(taskQueue: string): string {
  return `runway-delivery:${taskQueue}`;
}

export interface DeliveryLedgerSnapshot {
  totals: DeliveryTotals;
  /** Close time up to which every ended run has been counted (ISO). */
  countedUntil: string;
}

export interface DeliveryLedgerInput {
  /** From the previous run (continue-as-new); absent at the very start. */
  totals?: DeliveryTotals;
  watermarkMs?: number;
  countedAtWatermark?: string[];
  /** How often it looks for ended runs when it has caught up. @default 15 s */
  pollMs?: number;
  /** Continue as new past this many events. @default 2000 */
  historyLimit?: number;
}

/** Releases and rollbacks running now, by their RunwayStage (from the visibility store, not the ledger). */
export interface InFlight {
  byStage: Record<string, number>;
}

export const deliveryTotalsQuery = defineQuery<DeliveryLedgerSnapshot>('deliveryTotals');
