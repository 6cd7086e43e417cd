/**
 * A release hands its GitHub records to the writer in the background (workflows/reporting/
 * deployment-records.ts, patch `github-records-in-background`, issue 20): while the writer cannot
 * take them — at 2,000 releases on two workers the server refused every hand-over for 40 minutes,
 * "Workflow Task in failed state" — the release still deploys, fails its smoke test and rolls
 * staging back, or is aborted and rolls back. It ends only once the writer has taken every record,
 * and they are written in the order the release made them: an abort loses none. The rollback of a
 * finished release (workflows/rollback.ts) puts production back the same way.
 */
import { ApplicationFailure } from '@temporalio/common';
import { RELEASE_NOT_RELEASED } from '../../src/domain/release';
import { abortUpdate } from '../../src/domain/release-api';
import { createFakeActivities } from '../support/fake-activities';
import { recordHistory } from '../support/record-history';
import { useTestClient } from '../support/temporal';
import { releaseInput, rollbackInput, startReleaseWorkflow, startRollback, untilStage, withWorker } from '../support/workflow-runner';
import { until } from '../support/poll';
import { releaseOutcome } from '../../src/release-client/outcome';
import type { WorkflowHandle } from '@temporalio/client';

jest.setTimeout(90_000);

const temporal = useTestClient();

/** Fake activities whose writer refuses every hand-over (as the server answers while its workflow task fails) until let go. */
function withRefusingWriter(options: Parameters<typeof createFakeActivities>[0]) {
  const fake = createFakeActivities(options);
  const writer = { refuses: true, refused: 0 };
  const takeRecord = fake.activities.queueGitHubRecord;
  // Temporal retries the activity, as it does the real hand-over's refusals.
  fake.activities.queueGitHubRecord = async (input) => {
    if (!writer.refuses) return takeRecord(input);
    writer.refused++;
    throw ApplicationFailure.retryable('Unable to perform workflow execution update due to Workflow Task in failed state', 'WorkflowUpdateFailedError');
  };
  /** The records written to GitHub so far: kind, environment, state. */
  const records = () =>
    fake.calls
      .filter((c) => ['createDeployment', 'setDeploymentStatus', 'restorePreviousDeployment'].includes(c.name))
      .map((c) => [c.name, (c.input as { environment: string }).environment, (c.input as { state?: string }).state]);
  return { fake, writer, records };
}

/** Once rolled back with none of its records taken, the release is still open; let go, it ends not released. */
async function endsOnceWriterTakesRecords(handle: WorkflowHandle, { writer, records }: ReturnType<typeof withRefusingWriter>, reason: RegExp): Promise<void> {
  await untilStage(handle, 'rolled-back');
  expect(records()).toEqual([]);
  expect(writer.refused).toBeGreaterThan(0);
  // It does not end while a record could still be lost with it.
  expect((await handle.describe()).status.name).toBe('RUNNING');
  writer.refuses = false;
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => err as { cause?: ApplicationFailure },
  );
  expect(failure?.cause?.type).toBe(RELEASE_NOT_RELEASED);
  expect(failure?.cause?.message).toMatch(reason);
}

it('rolls back while the writer refuses its records, and ends once the writer has taken them all, in order', async () => {
  const refusing = withRefusingWriter({ smokeFails: true });
  await withWorker(refusing.fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    // Deployed to staging, failed its smoke test and rolled back before the writer took anything.
    await endsOnceWriterTakesRecords(handle, refusing, /^rolled-back: smoke check/);
    expect(refusing.fake.services.get('staging/checkout')!.taskDefinition).toBe('td/checkout-staging:1');
    recordHistory(handle.workflowId, 'rolled-back-while-writer-refused');
  });
  // Taken (and written here) before the release ended: staging's deployment created in progress,
  // marked failed, and its previous deployment shown as what runs again.
  expect(refusing.records()).toEqual([
    ['createDeployment', 'staging', undefined],
    ['setDeploymentStatus', 'staging', 'failure'],
    ['restorePreviousDeployment', 'staging', undefined],
  ]);
});

it('loses no record to an abort: the hand-over under way when the operator aborts is taken after it', async () => {
  const refusing = withRefusingWriter({});
  await withWorker(refusing.fake.activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
    await untilStage(handle, 'awaiting-approval');
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'bob', reason: 'wrong build' }] });
    await endsOnceWriterTakesRecords(handle, refusing, /^rolled-back: aborted by bob: wrong build/);
  });
  expect(refusing.records()).toEqual([
    ['createDeployment', 'staging', undefined],
    ['setDeploymentStatus', 'staging', 'success'],
    ['setDeploymentStatus', 'staging', 'failure'],
    ['restorePreviousDeployment', 'staging', undefined],
  ]);
});

it('rolls a finished release back while the writer refuses its records, and ends once the writer has taken them', async () => {
  const refusing = withRefusingWriter({});
  const production = () => refusing.fake.services.get('production/checkout')!.taskDefinition;
  await withWorker(refusing.fake.activities, async (taskQueue) => {
    const handle = await startRollback(temporal.client, taskQueue, rollbackInput());
    // Production runs the target again before the writer has taken a record.
    await until(() => production() === 'td/checkout-production:0', 'production back on the target task definition');
    await until(() => refusing.writer.refused > 0, 'the writer to refuse a hand-over');
    expect(refusing.records()).toEqual([]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    refusing.writer.refuses = false;
    expect(await releaseOutcome(handle)).toMatchObject({ result: 'released', reason: 'production runs aaaaaaaaaaaa again (was bbbbbbbbbbbb)' });
  });
  expect(refusing.records()).toEqual([
    ['createDeployment', 'production', undefined],
    ['setDeploymentStatus', 'production', 'success'],
  ]);
});
