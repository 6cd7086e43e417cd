/** Starting and reading releases from a bench: the same client calls the CLI makes. */
import type { Client } from '@temporalio/client';
import { releasePlan } from '../../src/config/plan';
import type { RunwayConfig } from '../../src/config/schema';
import { type ReleaseOutcome, type ReleaseStatus } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { releaseStatus, startRelease } from '../../src/release-client/releases';
import { sleep } from './prng';
import { releaseOutcome } from '../../src/release-client/outcome';

export function releaseInput(config: RunwayConfig, service: string, version: string, requestedBy = 'bench') {
  const plan = releasePlan(config, service);
  return { service, version, image: `${plan.imageRepository}:${version}`, requestedBy, reason: 'benchmark', plan };
}

/** Starts a release, retrying while Temporal is briefly unreachable (a restart in progress). */
export async function startBenchRelease(client: Client, taskQueue: string, config: RunwayConfig, service: string, version: string): Promise<string> {
  const input = releaseInput(config, service, version);
  for (let attempt = 1; ; attempt++) {
    try {
      return (await startRelease(client, taskQueue, input)).releaseId;
    } catch (err) {
      if (attempt >= 30) throw err;
      await sleep(1000);
    }
  }
}

export { releaseId };

/** The status, or undefined while no worker or no server can answer. */
export async function tryStatus(client: Client, id: string): Promise<ReleaseStatus | undefined> {
  try {
    return await releaseStatus(client, id);
  } catch {
    return undefined;
  }
}

/** The outcome of a finished release, or undefined while it runs (or Temporal is unreachable). */
export async function finishedOutcome(client: Client, id: string): Promise<ReleaseOutcome | undefined> {
  try {
    const handle = client.workflow.getHandle(id);
    if ((await handle.describe()).status.name === 'RUNNING') return undefined;
    return await releaseOutcome(handle);
  } catch {
    return undefined;
  }
}

/** Polls until `predicate` holds for the release's status, or throws after `timeoutMs`. */
export async function untilStatus(client: Client, id: string, predicate: (s: ReleaseStatus) => boolean, timeoutMs = 120_000, pollMs = 50): Promise<ReleaseStatus> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await tryStatus(client, id);
    if (status && predicate(status)) return status;
    await sleep(pollMs);
  }
  throw new Error(`${id}: the awaited status did not come within ${timeoutMs} ms`);
}
