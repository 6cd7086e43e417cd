/**
 * After a chaos run, before the stack stops: do the Temporal features Runway relies on beyond
 * what the run itself exercised (Updates for CLI decisions, the RunwayStage search attribute read
 * by describe) answer on this server? Visibility queries on custom search attributes — the
 * production records a rollback chooses from, the releases-in-flight check of a queued start —
 * and Worker Versioning (every release pinned to its worker's build). And the delivery ledger:
 * every release that ended counted exactly once, with its result, despite the kills.
 */
import type { Client } from '@temporalio/client';
import { releasesInFlight } from '../../src/release-client/releases';
import { productionRecords } from '../../src/release-client/rollback';
import { readDeliveryLedger } from '../../src/release-client/delivery';
import type { ChaosRelease } from './chaos-release-driver';

export interface ServerFeatures {
  /** Released releases that the visibility query `RunwayStage = 'released' AND …` lists, of all released. */
  listedReleased: number;
  released: number;
  /** How long after the run the last one showed up, ms (visibility is eventually consistent). */
  visibilityLagMs: number;
  /** Running releases the releases-in-flight query lists (0 expected: all have ended). */
  listedInFlight: number;
  /** Releases whose description says PINNED to a worker deployment version, of those described. */
  pinned: number;
  described: number;
  /** Releases the delivery ledger counted (kind release), and those that ended with an outcome. */
  ledgerCounted: number;
  ledgerExpected: number;
  problems: string[];
}

const VISIBILITY_WAIT_MS = 30_000;

export async function checkServerFeatures(client: Client, releases: ChaosRelease[], taskQueue: string): Promise<ServerFeatures> {
  const problems: string[] = [];
  const released = releases.filter((r) => r.outcome?.result === 'released');
  const started = Date.now();
  let listed = new Set<string>();
  while (Date.now() - started < VISIBILITY_WAIT_MS) {
    listed = new Set<string>();
    for (const service of new Set(released.map((r) => r.service))) {
      for (const record of await productionRecords(client, service)) listed.add(record.workflowId);
    }
    if (released.every((r) => listed.has(r.id))) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const visibilityLagMs = Date.now() - started;
  const missing = released.filter((r) => !listed.has(r.id));
  if (missing.length) problems.push(`visibility: ${missing.length} released release(s) not listed by a RunwayStage query after ${VISIBILITY_WAIT_MS / 1000} s: ${missing.map((r) => r.id).join(', ')}`);

  let listedInFlight = 0;
  for (const service of new Set(releases.map((r) => r.service))) listedInFlight += (await releasesInFlight(client, { service, taskQueue })).length;
  if (listedInFlight) problems.push(`visibility: ${listedInFlight} release(s) still listed in flight after every release ended`);

  let pinned = 0;
  const described = releases.filter((r) => r.outcome);
  for (const r of described) {
    const info = (await client.workflow.getHandle(r.id).describe()).raw.workflowExecutionInfo?.versioningInfo;
    // VERSIONING_BEHAVIOR_PINNED = 1
    if (Number(info?.behavior) === 1 && info?.deploymentVersion?.buildId) pinned++;
  }
  if (pinned !== described.length) problems.push(`worker versioning: ${described.length - pinned} of ${described.length} releases not pinned to a worker deployment version`);

  const ledger = await ledgerCounts(client, taskQueue, described.length);
  const expected = countBy(described.map((r) => r.outcome!.result));
  if (JSON.stringify(ledger.byResult) !== JSON.stringify(expected)) {
    problems.push(`delivery ledger: counted ${JSON.stringify(ledger.byResult)}, the releases ended ${JSON.stringify(expected)}`);
  }
  return { listedReleased: released.length - missing.length, released: released.length, visibilityLagMs, listedInFlight, pinned, described: described.length, ledgerCounted: ledger.counted, ledgerExpected: described.length, problems };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of [...values].sort()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** What the delivery ledger counted of this run's releases, by result, once it has counted `expected` (or after a minute). */
async function ledgerCounts(client: Client, taskQueue: string, expected: number): Promise<{ counted: number; byResult: Record<string, number> }> {
  let read = { counted: 0, byResult: {} as Record<string, number> };
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const snapshot = await readDeliveryLedger(client, taskQueue).catch(() => undefined);
    if (snapshot) {
      const results: string[] = [];
      for (const [key, n] of Object.entries(snapshot.totals.ended)) {
        const [kind, , , result] = key.split('|');
        if (kind === 'release') for (let i = 0; i < n; i++) results.push(result);
      }
      read = { counted: results.length, byResult: countBy(results) };
      if (read.counted >= expected) return read;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return read;
}
