/** Runs the release workflow on the test server with a worker of fake activities. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ReleaseActivities } from '../../activities';
import type { ReleaseInput, ReleaseOutcome, ReleasePlan, ReleaseStatus } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, ROLLBACK_WORKFLOW_TYPE, stageSearchAttribute, statusQuery } from '../../src/domain/release-api';
import { type RollbackInput, rollbackId } from '../../src/domain/rollback';
import type { FakeCall } from './fake-activities';
import { until } from './poll';
import { testNativeConnection, uniqueId, workflowBundle } from './temporal';
import { samplePlan } from './sample-plan';
import { releaseOutcome } from '../../src/release-client/outcome';

export function releaseInput(plan: ReleasePlan = samplePlan()): ReleaseInput {
  const version = uniqueId('').replace(/[^0-9a-f]/g, '').padEnd(12, 'a').slice(0, 12);
  return { service: 'checkout', version, image: `registry.local/checkout:${version}`, requestedBy: 'carol', reason: 'test', plan };
}

/** Starts a worker with the given activities on a fresh task queue and runs `fn` while it polls. */
export async function withWorker<T>(activities: ReleaseActivities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('wf');
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities });
  return worker.runUntil(fn(taskQueue));
}

export async function startReleaseWorkflow(client: Client, taskQueue: string, input: ReleaseInput): Promise<WorkflowHandle> {
  return client.workflow.start('release', {
    workflowId: releaseId(input.service, input.version),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: stageSearchAttribute, value: 'queued' }],
  });
}

/** Polls the status query until `predicate` holds, for about `timeoutMs` (30 s by default). */
export async function untilStatus(handle: WorkflowHandle, predicate: (s: ReleaseStatus) => boolean, what = 'condition', timeoutMs = 30_000): Promise<ReleaseStatus> {
  for (let i = 0; i < timeoutMs / 100; i++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`release never reached ${what}`);
}

export const untilStage = (handle: WorkflowHandle, stage: string, timeoutMs?: number) => untilStatus(handle, (s) => s.stage === stage, stage, timeoutMs);

/**
 * Waits until the fake activities were called as `name` with an input `matches` accepts. A human acts
 * on what Slack shows them: the release's messenger sends only the newest update, so a test that
 * resumes the moment the status query says "held" may see the held message superseded before it was
 * ever sent.
 */
export async function untilFakeCall<I>(fake: { calls: FakeCall[] }, name: string, matches: (input: I) => boolean, what: string, timeoutMs = 30_000): Promise<I> {
  let call: FakeCall | undefined;
  await until(() => (call = fake.calls.find((c) => c.name === name && matches(c.input as I))) !== undefined, `${name} to be called with ${what}`, timeoutMs);
  return call!.input as I;
}

/** Runs a release with `activities`, approves it as alice once it waits for approval, and returns its outcome. */
export async function approveAndFinish(client: Client, activities: ReleaseActivities, plan: ReleasePlan): Promise<ReleaseOutcome> {
  return withWorker(activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(client, taskQueue, releaseInput(plan));
    await untilStage(handle, 'awaiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    return await releaseOutcome(handle);
  });
}

/** A rollback of a finished checkout release to `to` (its task definition), with `plan`. */
export function rollbackInput(plan: ReleasePlan = samplePlan(), to = 'td/checkout-production:0'): RollbackInput {
  const from = uniqueId('release-checkout');
  return {
    service: 'checkout',
    from: { workflowId: from, version: 'b'.repeat(40), taskDefinition: 'td/checkout-production:1' },
    to: { workflowId: 'release-checkout-aaaaaaaaaaaa', version: 'a'.repeat(40), image: 'registry.local/checkout:aaaa', taskDefinition: to },
    requestedBy: 'carol',
    reason: 'errors after the release',
    plan,
  };
}

/** Starts the rollback workflow as `runway rollback` does. */
export async function startRollback(client: Client, taskQueue: string, input: RollbackInput) {
  return client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
    workflowId: rollbackId(input.from.workflowId),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: stageSearchAttribute, value: 'queued' }],
  });
}
