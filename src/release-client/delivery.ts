/**
 * The delivery ledger from outside its workflow (issue 19): every worker starts it (the start
 * finds it running) and reads its totals, with the releases in flight by stage from the
 * visibility store, for /metrics (src/stack/delivery-metrics-text.ts).
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DELIVERY_LEDGER_WORKFLOW_TYPE, type DeliveryLedgerInput, type DeliveryLedgerSnapshot, deliveryLedgerId, deliveryTotalsQuery, type InFlight } from '../domain/delivery-api';
import { ReleaseStage, TERMINAL_STAGES } from '../domain/release';
import { RELEASE_WORKFLOW_TYPE, ROLLBACK_WORKFLOW_TYPE } from '../domain/release-api';
import { SHARED_WORKFLOW_PRIORITY } from '../domain/shared-workflow-priority';

/** How long a scrape waits for the ledger's query and the visibility counts. */
const READ_DEADLINE_MS = 3000;

/** Starts the ledger of `taskQueue` unless it runs already. */
export async function ensureDeliveryLedger(client: Client, taskQueue: string, input: DeliveryLedgerInput = {}): Promise<void> {
  try {
    await client.workflow.start(DELIVERY_LEDGER_WORKFLOW_TYPE, {
      workflowId: deliveryLedgerId(taskQueue),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      priority: SHARED_WORKFLOW_PRIORITY,
      staticSummary: `Delivery ledger of task queue ${taskQueue}`,
      staticDetails: 'Counts every ended release and rollback of this task queue once; workers render its totals on /metrics (runway_*).',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export async function readDeliveryLedger(client: Client, taskQueue: string): Promise<DeliveryLedgerSnapshot> {
  return client.connection.withDeadline(Date.now() + READ_DEADLINE_MS, () => client.workflow.getHandle(deliveryLedgerId(taskQueue)).query(deliveryTotalsQuery));
}

const RUNNING_STAGES = Object.values(ReleaseStage).filter((s) => !TERMINAL_STAGES.includes(s));

/** Releases and rollbacks of `taskQueue` running now, by their RunwayStage. */
export async function releasesInFlightByStage(client: Client, taskQueue: string): Promise<InFlight> {
  const base = `WorkflowType IN ('${RELEASE_WORKFLOW_TYPE}', '${ROLLBACK_WORKFLOW_TYPE}') AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  const counts = await client.connection.withDeadline(Date.now() + READ_DEADLINE_MS, () =>
    Promise.all(RUNNING_STAGES.map(async (stage) => [stage, (await client.workflow.count(`${base} AND RunwayStage = '${stage}'`)).count] as const)),
  );
  return { byStage: Object.fromEntries(counts) };
}
