/**
 * Where a bench's releases are, read from Temporal's visibility store (the RunwayStage search
 * attribute and the executions' close times) rather than by asking each release. At scale that
 * matters: a status query per release goes to the worker, so polling 2,000 releases twice a
 * second would load the very worker being measured with thousands of queries (and workflow
 * replays when a run is not cached), and the bench would measure itself.
 */
import type { Client } from '@temporalio/client';
import { RELEASE_WORKFLOW_TYPE, stageSearchAttribute } from '../../src/domain/release-api';
import { sleep } from './prng';

export interface ClosedRelease {
  /** Temporal's execution status: COMPLETED is released; a release that did not reach production FAILED. */
  status: string;
  closedAt: number;
}

export interface ReleaseCensus {
  /** Running releases by id, with their RunwayStage. */
  running: Map<string, string>;
  closed: Map<string, ClosedRelease>;
}

/** Every release workflow of `taskQueue`, running (with its stage) or closed (with when and how). */
export async function releaseCensus(client: Client, taskQueue: string): Promise<ReleaseCensus> {
  const running = new Map<string, string>();
  const closed = new Map<string, ClosedRelease>();
  const query = `WorkflowType = '${RELEASE_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'`;
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    if (wf.status.name === 'RUNNING') running.set(wf.workflowId, wf.typedSearchAttributes.get(stageSearchAttribute) ?? 'unknown');
    else closed.set(wf.workflowId, { status: wf.status.name, closedAt: wf.closeTime?.getTime() ?? Date.now() });
  }
  return { running, closed };
}

/** How many of `ids` are at each stage (running) or in each end state (closed), e.g. "186 building, 14 staging". */
export function stageHistogram(census: ReleaseCensus, ids: string[]): string {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const where = census.running.get(id) ?? census.closed.get(id)?.status.toLowerCase() ?? 'not listed';
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([where, count]) => `${count} ${where}`)
    .join(', ');
}

/**
 * Polls the census every `pollMs` until `done` holds or `timeoutMs` passes, printing progress
 * every `reportMs` (a 2,000-release wait is long; silence would look like a hang).
 */
export async function untilCensus(
  client: Client,
  taskQueue: string,
  done: (census: ReleaseCensus) => boolean,
  opts: { timeoutMs: number; pollMs?: number; reportMs?: number; report?: (census: ReleaseCensus) => void },
): Promise<ReleaseCensus> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    const census = await releaseCensus(client, taskQueue).catch(() => undefined);
    if (census && done(census)) return census;
    if (census && opts.report && Date.now() - lastReport >= (opts.reportMs ?? 30_000)) {
      opts.report(census);
      lastReport = Date.now();
    }
    if (Date.now() >= deadline) return census ?? { running: new Map(), closed: new Map() };
    await sleep(opts.pollMs ?? 2000);
  }
}
