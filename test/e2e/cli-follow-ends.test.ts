/**
 * `runway watch` and `runway start --wait` end when the release's workflow ends, whatever its
 * status query still answers: a terminated, timed-out or stuck release makes them exit 8 within
 * seconds of Temporal knowing, with a message saying what happened, the last stage and where to
 * look; a cancelled one rolled back (exit 5). The real CLI as a child process; the real release
 * workflow on the dev server with fake activities (or no worker at all).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { releaseId } from '../../src/domain/release-id';
import { stageSearchAttribute } from '../../src/domain/release-api';
import { createFakeActivities } from '../support/fake-activities';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { type RunwayProcess, type RunwayResult, spawnRunway } from '../support/runway-process';
import { samplePlan } from '../support/sample-plan';
import { randomSha } from '../support/sandbox-stack';
import { testTemporalAddress, uniqueId, useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();
const cliEnv = (taskQueue: string) => ({ TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: taskQueue });

/** The process's exit, or a failure once `deadlineMs` has passed (a deadline the test waits for, not a measured time). */
function exitWithin(proc: RunwayProcess, deadlineMs: number, after: string): Promise<RunwayResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL');
      reject(new Error(`runway had not exited ${deadlineMs / 1000} s after ${after}; output:\n${proc.output()}`));
    }, deadlineMs);
  });
  return Promise.race([proc.exited, late]).finally(() => clearTimeout(timer));
}

async function untilDescribed(handle: WorkflowHandle, holds: (d: Awaited<ReturnType<WorkflowHandle['describe']>>) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (holds(await handle.describe())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never ${what}`);
}

it('watch exits 8 within 10 s of a release being terminated, naming who, why, the last stage and the Web UI run', async () => {
  const plan = samplePlan({ webUiUrl: 'http://temporal-ui.example' });
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
    const watch = spawnRunway(['watch', handle.workflowId], cliEnv(taskQueue));
    await watch.waitFor(/awaiting-approval/);
    await handle.terminate('wrong build');
    const result = await exitWithin(watch, 10_000, 'the termination');
    expect(result.code).toBe(8);
    const { runId } = await handle.describe();
    expect(result.stderr).toContain(
      `runway: ${handle.workflowId} was terminated by ${temporal.client.options.identity} at `,
    );
    expect(result.stderr).toMatch(/\(reason: wrong build\); last stage recorded: awaiting-approval\. It did not roll back, so staging or production may be left changed/);
    expect(result.stderr).toContain(`open http://temporal-ui.example/namespaces/default/workflows/${handle.workflowId}/${runId}`);
  });
});

it('start --wait exits 8 within 10 s of its release being terminated, also with no worker to answer its status', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-follow-'));
  writeFileSync(path.join(dir, 'runway.config.yaml'), MINIMAL_CONFIG_YAML);
  const version = randomSha();
  const id = releaseId('api', version);
  // No worker polls this task queue: the release never leaves `queued`, and its query never answers.
  const start = spawnRunway(['start', '--service', 'api', '--version', version, '--wait', '--config', path.join(dir, 'runway.config.yaml')], cliEnv(uniqueId('no-worker')));
  await start.waitFor(new RegExp(`^${id}$`, 'm'));
  await temporal.client.workflow.getHandle(id).terminate('pipeline cancelled');
  const result = await exitWithin(start, 10_000, 'the termination');
  expect(result.code).toBe(8);
  expect(result.stderr).toMatch(new RegExp(`runway: ${id} was terminated by .* \\(reason: pipeline cancelled\\); last stage recorded: queued\\.`));
  expect(result.stderr).toContain(`\`temporal workflow show --workflow-id ${id}\``);
});

it('watch exits 8 when the release’s workflow execution timeout runs out', async () => {
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const input = releaseInput();
    // The CLI never sets an execution timeout; an operator's own start (or a Temporal default) can.
    const handle = await temporal.client.workflow.start('release', {
      workflowId: releaseId(input.service, input.version),
      taskQueue,
      args: [input],
      workflowExecutionTimeout: '4s',
      typedSearchAttributes: [{ key: stageSearchAttribute, value: 'queued' }],
    });
    const watch = spawnRunway(['watch', handle.workflowId], cliEnv(taskQueue));
    await watch.waitFor(/awaiting-approval/);
    await untilDescribed(handle, (d) => d.status.name === 'TIMED_OUT', 'timed out');
    const result = await exitWithin(watch, 10_000, 'the timeout');
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(new RegExp(`runway: ${handle.workflowId} timed out at \\S+: its workflow timeout \\(4s\\) ran out; last stage recorded: awaiting-approval\\.`));
  });
});

it('watch exits 8 for a stuck release within 10 s of its workflow task failing the second time in a row', async () => {
  const id = uniqueId('release-stuck');
  await withWorker(createFakeActivities().activities, async (taskQueue) => {
    // An input without a plan makes the workflow code throw: every workflow task fails.
    const handle = await temporal.client.workflow.start('release', { workflowId: id, taskQueue, args: [{}], typedSearchAttributes: [{ key: stageSearchAttribute, value: 'canary' }] });
    try {
      const watch = spawnRunway(['watch', id], cliEnv(taskQueue));
      await untilDescribed(handle, (d) => (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 3, 'failed twice in a row');
      const result = await exitWithin(watch, 10_000, 'the second failure');
      expect(result.code).toBe(8);
      expect(result.stderr).toMatch(
        new RegExp(`runway: ${id} is stuck: its workflow task has failed \\d+ times in a row \\(last stage recorded: canary; recorded failure: Cannot read properties of undefined`),
      );
      expect(result.stderr).toContain(`It is still running and carries on once a worker can run it (\`runway watch ${id}\` follows it again)`);
      expect(result.stderr).toContain(`temporal workflow reset --workflow-id ${id}`);
    } finally {
      await handle.terminate('test done');
    }
  });
});

it('a cancelled release rolled back: watch exits 5 while it runs, after it closed, and with no worker left to answer', async () => {
  const input = releaseInput();
  const id = releaseId(input.service, input.version);
  const late = await withWorker(createFakeActivities().activities, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, input);
    const watch = spawnRunway(['watch', id], cliEnv(taskQueue));
    await untilStage(handle, 'awaiting-approval');
    await handle.cancel();
    const during = await exitWithin(watch, 20_000, 'the cancellation');
    expect(during.code).toBe(5);
    expect(during.stdout).toContain(`${id}: rolled-back — the release was cancelled`);
    await untilDescribed(handle, (d) => d.status.name === 'CANCELLED', 'cancelled');
    return exitWithin(spawnRunway(['watch', id], cliEnv(taskQueue)), 20_000, 'start');
  });
  expect(late.code).toBe(5);
  expect(late.stdout).toContain(`${id}: rolled-back — the release was cancelled; cancellation requested by ${temporal.client.options.identity}`);
  // The worker is gone: nothing answers the status query, the recorded stage still says it rolled back.
  const noWorker = await exitWithin(spawnRunway(['watch', id], cliEnv(uniqueId('gone'))), 20_000, 'start');
  expect(noWorker.code).toBe(5);
  expect(noWorker.stderr).toContain(`runway: ${id}: rolled-back — cancellation requested by ${temporal.client.options.identity}`);
});
