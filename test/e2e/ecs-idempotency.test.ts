/**
 * Idempotency proven by crash: the sandbox applies a mutation and then holds its answer back
 * (`holdResponseAfterEffect`), and the worker is SIGKILLed inside that window — the change is
 * made but the activity never learnt so. A new worker retries the activity, which must read
 * the state first and not make the change again. Counted at the emulator, per target.
 */
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { migrationClientToken, type MigrationResult, type RunMigrationInput } from '../../activities/ecs-migration';
import { releaseId } from '../../src/domain/release-id';
import { rejectUpdate } from '../../src/domain/release-api';
import { testNativeConnection, uniqueId } from '../support/temporal';
import { quietLogger } from '../support/activity-env';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

// Each killed attempt of a plain ECS call is retried after its 10 s start-to-close timeout.
jest.setTimeout(240_000);

const rig = useCrashRig({ bake: '1s' });
/**
 * Long enough to kill the worker inside it on a loaded machine, and shorter than the 10 s
 * start-to-close timeout, so the held call is in the sandbox's log (written when it answers)
 * before the retry's.
 */
const HOLD_MS = 5_000;

interface EcsCall {
  operation: string;
  status: number;
  request: Record<string, unknown>;
}

/** The parts of `GET /_sandbox/state` these tests read. */
interface SandboxState {
  ecs: { clusters: { name: string; services: { serviceName: string; taskDefinition: string }[]; standaloneTasks: { taskArn: string; startedBy?: string }[] }[] };
}

async function ecsCalls(operation: string): Promise<EcsCall[]> {
  return ((await rig.stack.calls()).ecs as EcsCall[]).filter((c) => c.operation === operation && c.status === 200);
}

async function holdNextAnswer(action: string): Promise<void> {
  await rig.stack.setScenario({ ecs: { holdResponseAfterEffect: { action, ms: HOLD_MS, count: 1 } } });
}

/** The hold is consumed when the sandbox applies the change: from then on the answer is in flight. */
async function untilChangeApplied(action: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const scenario = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/scenario`)).json()) as { ecs?: { holdResponseAfterEffect?: unknown } };
    if (!scenario.ecs?.holdResponseAfterEffect) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const calls = await rig.stack.calls();
  throw new Error(`${action} never reached the sandbox; ECS calls: ${calls.ecs.map((c) => `${c.operation} ${c.status}`).join(', ')}; GitHub: ${calls.github.map((c) => `${c.operation} ${c.status}`).join(', ')}`);
}

async function stagingTaskDefinition(): Promise<string> {
  const state = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/state`)).json()) as SandboxState;
  return state.ecs.clusters.find((c) => c.name === 'staging')!.services.find((s) => s.serviceName === 'checkout')!.taskDefinition;
}

it('RegisterTaskDefinition and UpdateService happen once when the worker dies after ECS applied them', async () => {
  const version = randomSha();
  const id = releaseId('checkout', version);
  const stagingBefore = await stagingTaskDefinition();
  let worker = await rig.fleet.start();
  await holdNextAnswer('RegisterTaskDefinition');
  expect((await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env)).code).toBe(0);

  // Staging's new revision is registered; the worker dies before it hears so.
  await untilChangeApplied('RegisterTaskDefinition');
  await holdNextAnswer('UpdateService');
  await rig.fleet.kill(worker);
  worker = await rig.fleet.start();

  // The retried prepareTaskDefinition finds that revision; staging's update is applied next, and the worker dies again.
  await untilChangeApplied('UpdateService');
  await rig.fleet.kill(worker);
  await rig.fleet.start();

  // Staging is all this test needs: rejecting ends the release there (and restores staging).
  await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
  await rig.client.workflow.getHandle(id).executeUpdate(rejectUpdate, { args: [{ by: 'alice', reason: 'crash test ends at staging' }] });
  const outcome = await releaseOutcome(rig.client.workflow.getHandle(id));
  expect(outcome.result).toBe('rejected');

  // One registration, although it was attempted by a worker that died before hearing the answer.
  const registered = await ecsCalls('RegisterTaskDefinition');
  expect(registered.map((c) => c.request.family)).toEqual(['checkout-staging']);
  // The retried update found the change in place (the dead worker's attempt had made it).
  const newRevision = outcome.status.history.map((e) => /^staging: already on (\S+)$/.exec(e.message)?.[1]).find(Boolean);
  expect(newRevision).toMatch(/checkout-staging:\d+$/);

  // Staging moved to the new revision once (the retry saw it there), then back once by the undo.
  const stagingUpdates = (await ecsCalls('UpdateService')).filter((c) => c.request.cluster === 'staging').map((c) => c.request.taskDefinition);
  expect(stagingUpdates).toHaveLength(2);
  expect(stagingUpdates[0]).toBe(newRevision);
  // ...to what staging ran before the release, which the retry learnt from its lost attempt.
  expect(stagingUpdates[1]).toBe(stagingBefore);
});

it('RunTask (a migration) starts one task when the worker dies after ECS started it', async () => {
  const connection = await testNativeConnection();
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../support/migration-workflow'), logger: quietLogger });
  const workflowQueue = uniqueId('migration-wf');
  const workflowWorker = await Worker.create({ connection, taskQueue: workflowQueue, workflowBundle: { code }, activities: {} });

  const input: RunMigrationInput = {
    cluster: 'staging',
    service: 'checkout',
    taskDefinition: 'checkout-staging',
    container: 'app',
    command: ['npm', 'run', 'migrate'],
    releaseId: releaseId('checkout', randomSha()),
  };
  const result = await workflowWorker.runUntil(async () => {
    let worker = await rig.fleet.start();
    await holdNextAnswer('RunTask');
    const handle = await rig.client.workflow.start('migrationOnly', {
      workflowId: uniqueId('migration'),
      taskQueue: workflowQueue,
      args: [input, rig.stack.env.RUNWAY_TASK_QUEUE!],
    });
    await untilChangeApplied('RunTask');
    await rig.fleet.kill(worker);
    worker = await rig.fleet.start();
    return (await handle.result()) as MigrationResult;
  });

  expect(result.exitCode).toBe(0);
  // The retry asked again with the same clientToken, and ECS answered with the task it had started.
  // Two calls: the dead worker's (recorded once its held answer went out) and the retry's.
  let runTasks = await ecsCalls('RunTask');
  for (let i = 0; i < 400 && runTasks.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    runTasks = await ecsCalls('RunTask');
  }
  expect(runTasks).toHaveLength(2);
  expect(new Set(runTasks.map((c) => c.request.clientToken))).toEqual(new Set([migrationClientToken(input)]));
  const state = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/state`)).json()) as SandboxState;
  const migrations = state.ecs.clusters.find((c) => c.name === 'staging')!.standaloneTasks.filter((t) => t.startedBy === 'runway-migration');
  expect(migrations.map((t) => t.taskArn)).toEqual([result.taskArn]);
});
