/**
 * Reading a service's release lane from a client (`runway start`, `list`, `status`; issue 18,
 * part 1). The lane workflow admits releases atomically; what the CLI reads here is for people:
 * a refusal naming what holds the lane, a release's place, progress while it waits.
 */
import type { Client } from '@temporalio/client';
import { describePlace, type LaneState, standingOf } from '../domain/lane';
import { laneQuery, laneWorkflowId } from '../domain/lane-api';

/** A query needs a worker; without one, the CLI says what it knows instead of hanging. */
const LANE_QUERY_TIMEOUT_MS = 5_000;

/** The lane of `service` on `taskQueue`; undefined when it was never used, or no worker answers in time. */
export async function readLane(client: Client, taskQueue: string, service: string): Promise<LaneState | undefined> {
  const handle = client.workflow.getHandle(laneWorkflowId(taskQueue, service));
  try {
    return await client.connection.withDeadline(Date.now() + LANE_QUERY_TIMEOUT_MS, () => handle.query(laneQuery));
  } catch {
    // Never used (not found), no worker polling, or one too busy to answer: the place is unknown, which is not an error here.
    return undefined;
  }
}

/** One release's place in its lane ("queued (2nd, behind …)", "holds the lane"), or undefined when the lane does not know it. */
export async function lanePlace(client: Client, taskQueue: string, service: string, releaseId: string): Promise<string | undefined> {
  const lane = await readLane(client, taskQueue, service);
  return lane ? describePlace(lane, releaseId) : undefined;
}

export type LaneWait =
  /** It holds the lane: it is running its stages now. */
  | { kind: 'turn'; waitedMs: number }
  /** It ended before its turn (superseded, its queue timeout, cancelled): the reason, from the lane or its status. */
  | { kind: 'ended'; waitedMs: number }
  /** The CLI stopped waiting (its own safety bound); the release still waits in the lane. */
  | { kind: 'timeout'; waitedMs: number; place?: string };

export interface LaneWaitOptions {
  /** Stop waiting after this long (the release's own lane timeout ends it a moment earlier). */
  timeoutMs: number;
  pollMs?: number;
  progressEveryMs?: number;
  /** Called when its place changes, and every `progressEveryMs` while it waits. */
  onWaiting?: (place: string, waitedMs: number) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits while the release waits in its lane (`runway start --queue`): until it holds the lane,
 * or its run ends (superseded, given up after its queue timeout), reporting its place.
 */
export async function awaitLaneTurn(client: Client, taskQueue: string, service: string, releaseId: string, options: LaneWaitOptions): Promise<LaneWait> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 2_000;
  const progressEveryMs = options.progressEveryMs ?? 15_000;
  const began = now();
  let reported: { place: string; atMs: number } | undefined;
  for (;;) {
    const waitedMs = now() - began;
    const description = await client.workflow.getHandle(releaseId).describe();
    if (description.status.name !== 'RUNNING') return { kind: 'ended', waitedMs };
    const lane = await readLane(client, taskQueue, service);
    const standing = lane ? standingOf(lane, releaseId) : { kind: 'absent' as const };
    if (standing.kind === 'holder') return { kind: 'turn', waitedMs };
    const place = lane ? describePlace(lane, releaseId) : undefined;
    if (waitedMs >= options.timeoutMs) return { kind: 'timeout', waitedMs, ...(place ? { place } : {}) };
    // Not admitted yet (its first workflow task has not run): nothing to report.
    if (place && standing.kind === 'queued' && (reported?.place !== place || now() - reported.atMs >= progressEveryMs)) {
      options.onWaiting?.(place, waitedMs);
      reported = { place, atMs: now() };
    }
    await sleep(Math.max(0, Math.min(pollMs, options.timeoutMs - waitedMs)));
  }
}
