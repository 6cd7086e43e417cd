/**
 * For rollback tests: releases that reach production through the real CLI and a worker, and
 * waiting until Runway's records of them (the visibility store, which lags a moment behind a
 * workflow's end) list them, as a rollback reads them.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { runRunway, spawnRunway } from './runway-process';
import { randomSha } from './sandbox-stack';
import { untilRelease } from './worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

/** A release of `service` approved by alice; resolves with its outcome once `runway start --wait` has exited 0. */
export async function releaseToProduction(client: Client, env: Record<string, string>, service: string): Promise<ReleaseOutcome> {
  const version = randomSha();
  const id = releaseId(service, version);
  const start = spawnRunway(['start', '--service', service, '--version', version, '--requested-by', 'ci', '--wait'], env);
  await untilRelease(client, id, (s) => s.stage === 'awaiting-approval');
  const approved = await runRunway(['approve', id, '--as', 'alice'], env);
  if (approved.code !== 0) throw new Error(`runway approve ${id} exited ${approved.code}: ${approved.stderr}`);
  const started = await start.exited;
  if (started.code !== 0) throw new Error(`runway start --wait for ${id} exited ${started.code}: ${started.stderr}`);
  return await releaseOutcome(client.workflow.getHandle(id));
}

/** Waits (up to 30 s) until the visibility store lists `count` finished releases and rollbacks of `service` that reached production. */
export async function untilRecorded(client: Client, service: string, count: number): Promise<void> {
  const query = `RunwayService = '${service}' AND RunwayStage = 'released' AND ExecutionStatus = 'Completed'`;
  for (let i = 0; i < 300; i++) {
    if ((await client.workflow.count(query)).count >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the visibility store never listed ${count} released release(s) of ${service}`);
}
