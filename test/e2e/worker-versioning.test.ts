/**
 * Safe upgrades with Temporal Worker Versioning (README "Upgrading Runway"): a release started on
 * build A stays pinned to A and finishes there, while a release started after B became current
 * runs on B; B's workers never take a task of A's release, even while A has no worker. And
 * `runway worker` declares its build from the package version or RUNWAY_BUILD_ID.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { approveSignal, approveUpdate } from '../../src/domain/release-api';
import { ensureCurrentVersionWhileRunning, type WorkerVersion, workerDeploymentOptions } from '../../src/temporal/worker-deployment';
import { testNativeConnection, testTemporalAddress, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { spawnRunway } from '../support/runway-process';
import { releaseInput, startReleaseWorkflow, untilStage } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

// Enum values of the raw description (@temporalio/proto is not a direct dependency).
const PINNED = 1; // VERSIONING_BEHAVIOR_PINNED
const TASK_SCHEDULED = 1; // PENDING_WORKFLOW_TASK_STATE_SCHEDULED: waiting for a worker to take it

/** One build's worker in this process: the production versioning options, fake activities, its own identity. */
async function startBuild(taskQueue: string, version: WorkerVersion, identity: string) {
  // Two releases of checkout run side by side, one per build: this suite is about builds, not lanes.
  const fake = createFakeActivities({ laneFree: true });
  const worker = await Worker.create({
    connection: await testNativeConnection(),
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: fake.activities,
    identity,
    workerDeploymentOptions: workerDeploymentOptions(version),
  });
  const running = worker.run();
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return { fake, worker, running, stop };
}

async function pinnedTo(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: info?.behavior, deploymentName: info?.deploymentVersion?.deploymentName, buildId: info?.deploymentVersion?.buildId };
}

/** The identities of every worker that started a workflow task or an activity of this release. */
async function identitiesThatRan(client: Client, handle: WorkflowHandle): Promise<{ workflowTasks: Set<string>; activities: Set<string> }> {
  const events = (await client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
  return {
    workflowTasks: new Set(events.map((e) => e.workflowTaskStartedEventAttributes?.identity).filter((x): x is string => !!x)),
    activities: new Set(events.map((e) => e.activityTaskStartedEventAttributes?.identity).filter((x): x is string => !!x)),
  };
}

describe('Worker Versioning', () => {
  it('keeps a release on the build it started on while new releases go to the current build', async () => {
    const deploymentName = uniqueId('wv');
    const taskQueue = uniqueId('wv-q');
    const A: WorkerVersion = { deploymentName, buildId: 'build-a' };
    const B: WorkerVersion = { deploymentName, buildId: 'build-b' };
    const service = temporal.client.workflowService;
    const settle = (running: Promise<void>, version: WorkerVersion, policy: 'bootstrap' | 'switch') =>
      ensureCurrentVersionWhileRunning(running, { workflowService: service, namespace: 'default', version, policy, identity: 'worker-versioning test' });

    // Build A: the deployment's first version makes itself current (the `runway worker` rule).
    const input1 = releaseInput();
    const input2 = releaseInput();
    const firstA = await startBuild(taskQueue, A, 'build-a-worker');
    let a = firstA;
    const b = await startBuild(taskQueue, B, 'build-b-worker');
    try {
      // B starts second: the bootstrap rule leaves the deployment alone once it has a current version.
      const first = await settle(a.running, A, 'bootstrap');
      expect(first).toMatchObject({ current: true, madeCurrent: true });
      const release1 = await startReleaseWorkflow(temporal.client, taskQueue, input1);
      await untilStage(release1, 'awaiting-approval');

      expect(await settle(b.running, B, 'bootstrap')).toMatchObject({ current: false, madeCurrent: false, currentBuildId: 'build-a' });
      // The switch (`runway worker --set-current`): new releases go to B from here on.
      expect(await settle(b.running, B, 'switch')).toMatchObject({ current: true, madeCurrent: true, previousBuildId: 'build-a' });
      const release2 = await startReleaseWorkflow(temporal.client, taskQueue, input2);
      await untilStage(release2, 'awaiting-approval');

      expect(await pinnedTo(release1)).toEqual({ behavior: PINNED, deploymentName, buildId: 'build-a' });
      expect(await pinnedTo(release2)).toEqual({ behavior: PINNED, deploymentName, buildId: 'build-b' });

      // A's worker goes away; release 1 is approved by signal (an Update would wait for a worker).
      // B polls the same task queue but never takes release 1's workflow task: it stays scheduled.
      await a.stop();
      await release1.signal(approveSignal, { by: 'alice' });
      await new Promise((r) => setTimeout(r, 3000));
      const waiting = (await release1.describe()).raw.pendingWorkflowTask;
      expect(waiting?.state).toBe(TASK_SCHEDULED);
      expect((await identitiesThatRan(temporal.client, release1)).workflowTasks).toEqual(new Set(['build-a-worker']));

      // Release 2 is approved and finishes on B meanwhile.
      await release2.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      expect((await releaseOutcome(release2)).result).toBe('released');

      // A worker of build A comes back (a restart with the same build, as after a crash): release 1 finishes on A.
      a = await startBuild(taskQueue, A, 'build-a-restarted');
      expect((await releaseOutcome(release1)).result).toBe('released');

      const ran1 = await identitiesThatRan(temporal.client, release1);
      const ran2 = await identitiesThatRan(temporal.client, release2);
      expect(ran1.workflowTasks).toEqual(new Set(['build-a-worker', 'build-a-restarted']));
      expect([...ran1.activities].every((id) => id.startsWith('build-a-'))).toBe(true);
      expect(ran2.workflowTasks).toEqual(new Set(['build-b-worker']));
      expect(ran2.activities).toEqual(new Set(['build-b-worker']));
      // Each build's activities saw only its own release (the image names the release's version).
      const mentions = (fakes: { fake: ReturnType<typeof createFakeActivities> }[], input: { version: string }) =>
        fakes.flatMap(({ fake }) => fake.calls).filter((c) => JSON.stringify(c.input).includes(input.version)).length;
      expect(mentions([firstA, a], input1)).toBeGreaterThan(0);
      expect(mentions([firstA, a], input2)).toBe(0);
      expect(mentions([b], input2)).toBeGreaterThan(0);
      expect(mentions([b], input1)).toBe(0);
    } finally {
      await firstA.stop();
      await a.stop();
      await b.stop();
    }
  });
});

describe('runway worker', () => {
  const packageVersion = (JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

  it('declares the package version as its build, makes the first version current, and leaves a later build to the operator', async () => {
    const env = { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: uniqueId('wv-cli'), RUNWAY_BUILD_ID: '' };
    const first = spawnRunway(['worker'], env);
    try {
      await first.waitFor(/polling task queue/);
      expect(first.output()).toContain(`worker deployment "${env.RUNWAY_TASK_QUEUE}" (the task queue name), build "${packageVersion}" (Runway's package.json version)`);
      expect(first.output()).toContain(`build "${packageVersion}" is the current version of "${env.RUNWAY_TASK_QUEUE}" (made current by this worker: the deployment had no current version)`);

      const next = spawnRunway(['worker'], { ...env, RUNWAY_BUILD_ID: 'next-build' });
      try {
        await next.waitFor(/polling task queue/);
        expect(next.output()).toContain('build "next-build" (RUNWAY_BUILD_ID)');
        expect(next.output()).toContain(`build "next-build" is not the current version of "${env.RUNWAY_TASK_QUEUE}": new releases go to build "${packageVersion}"`);
      } finally {
        next.child.kill('SIGKILL');
        await next.exited;
      }
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
  });

  it('refuses a build id Temporal cannot take, naming the variable', async () => {
    const refused = spawnRunway(['worker'], { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: uniqueId('wv-cli'), RUNWAY_BUILD_ID: '__unversioned__' });
    const result = await refused.exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('RUNWAY_BUILD_ID: "__unversioned__" is reserved by Temporal for unversioned workers');
  });
});
